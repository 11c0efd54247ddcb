# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE: controller-side helpers of the install roles (through plugins/filter/docker_repo.py); not a public API.

Where Docker CE comes from (mirror names, channels, version pins) and what to install: one place for what both
install roles (apt and dnf/yum) share.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import fnmatch
import re

from urllib.parse import urlsplit

# Base URLs laid out like download.docker.com/linux: <base>/<distro>/...
MIRRORS = {
    "official": "https://download.docker.com/linux",
    "ustc": "https://mirrors.ustc.edu.cn/docker-ce/linux",
    "aliyun": "https://mirrors.aliyun.com/docker-ce/linux",
    "tuna": "https://mirrors.tuna.tsinghua.edu.cn/docker-ce/linux",
}
CHANNELS = ("stable", "test")
# Docker's repository files dropped `edge` in 2020 and `nightly` in 2025.
DEPRECATED_CHANNELS = {"edge": "test", "nightly": "test"}
URL_SCHEMES = ("http://", "https://", "file://")


class DockerRepoError(ValueError):
    pass


# Characters no mirror URL needs and that could change what a repository file
# says (a newline adds an option line to docker.sources: "Trusted: yes").
_URL_FORBIDDEN = re.compile(r"[\s\x00-\x1f\x7f\"'`<>\\{}|^]")
_LOCAL_HOSTS = ("localhost", "127.", "[::1]", "::1")


def mirror_base_url(mirror, custom_url=None, varname="mirror"):
    """Base URL (…/linux) of the chosen mirror, without a trailing slash.

    A custom URL is checked before it reaches any file: http(s) with a host and
    an optional port and path, or an absolute file:/// path. Whitespace,
    quotes, control characters, credentials, a query or a fragment are refused.
    """
    urlvar = varname + "_url"
    if mirror == "custom":
        url = custom_url or ""
        if not url.strip():
            raise DockerRepoError("%s is 'custom' but no mirror URL was given (%s is empty)" % (varname, urlvar))
        bad = _URL_FORBIDDEN.search(url)
        if bad:
            raise DockerRepoError(
                "%s %r contains %r: a mirror URL has no whitespace, quotes, backslashes or control characters"
                % (urlvar, _masked(url), bad.group(0)))
        if not url.startswith(URL_SCHEMES):
            raise DockerRepoError(
                "%s %r must start with one of %s" % (urlvar, _masked(url), ", ".join(URL_SCHEMES)))
        if url.startswith("file://") and not url.startswith("file:///"):
            raise DockerRepoError("%s %r must be an absolute file:/// path" % (urlvar, url))
        parts = urlsplit(url)
        if parts.query or parts.fragment or "?" in url or "#" in url:
            raise DockerRepoError("%s %r has a query or fragment: give the base URL only" % (urlvar, _masked(url)))
        if parts.scheme in ("http", "https"):
            if "@" in parts.netloc:
                raise DockerRepoError(
                    "%s %r carries credentials: repository files are world-readable. Give the URL without "
                    "user:password@ and put the credentials in /etc/apt/auth.conf.d (apt) or the repository's "
                    "username/password (dnf)" % (urlvar, _masked(url)))
            try:
                host, port = parts.hostname, parts.port
            except ValueError as e:
                raise DockerRepoError("%s %r has a bad port: %s" % (urlvar, _masked(url), e))
            if not host:
                raise DockerRepoError("%s %r has no host" % (urlvar, url))
        return url.rstrip("/")
    if mirror not in MIRRORS:
        raise DockerRepoError("%s %r is not one of %s" % (varname, mirror, ", ".join(sorted(MIRRORS) + ["custom"])))
    return MIRRORS[mirror]


def _masked(url):
    """url with any user:password@ replaced, for messages."""
    return re.sub(r"//[^/@]*@", "//***@", url)


def plain_http_warning(url, varname="mirror_url"):
    """A warning when packages would come over plain http from another host, else None."""
    parts = urlsplit(url)
    if parts.scheme != "http":
        return None
    host = parts.netloc.rsplit("@", 1)[-1]
    if host.startswith(_LOCAL_HOSTS):
        return None
    return ("%s %s is plain http: the packages are checked against the pinned key's signature, but anyone on the "
            "path can see what is installed, and only the signature protects them. Prefer https."
            % (varname, url))


def canonical_channel(channel, varname="channel"):
    """(channel, warning or None): the channel to use, and why it changed."""
    if channel in CHANNELS:
        return channel, None
    if channel in DEPRECATED_CHANNELS:
        new = DEPRECATED_CHANNELS[channel]
        return new, ("%s %r is deprecated: Docker's repositories no longer have it; using %r instead"
                     % (varname, channel, new))
    raise DockerRepoError("%s %r is not one of %s" % (
        varname, channel, ", ".join(CHANNELS + tuple(DEPRECATED_CHANNELS))))


def _version_text(version, varname):
    """A version as the user wrote it. YAML reads an unquoted 27.3 as a number, and 27.10 as 27.1: a number with a
    fraction is refused, naming the variable; a whole number is its digits."""
    if isinstance(version, bool) or isinstance(version, float):
        raise DockerRepoError("%s %r is a number, not a version: quote it (%s: \"%s\"); YAML reads an unquoted "
                              "27.10 as 27.1" % (varname, version, varname, version))
    if isinstance(version, int):
        return str(version)
    return (version or "").strip()


def apt_version_spec(version, varname="version"):
    """An apt version pattern for a docker-ce version or prefix.

    '' -> '' (no pin); '5:27.3.1-1~debian.12~bookworm' -> itself (exact);
    '27.3.1' or '27.3' -> '5:27.3.1*' / '5:27.3.*' (Docker's epoch is 5).
    """
    version = _version_text(version, varname)
    if not version:
        return ""
    if not re.match(r"^[0-9][0-9A-Za-z.+:~-]*$", version):
        raise DockerRepoError("%s %r is not a Debian version or version prefix" % (varname, version))
    if ":" in version or "~" in version or "-" in version:
        return version if ":" in version else "5:" + version
    if version.count(".") < 2:
        return "5:%s.*" % version
    return "5:%s*" % version


def rpm_version_spec(version, varname="version"):
    """A dnf/yum package version suffix for a docker-ce version or prefix.

    '' -> ''; '27.3.1' -> '27.3.1*'; '27.3' -> '27.3.*'; '3:27.3.1-1.el9' -> itself (exact).
    """
    version = _version_text(version, varname)
    if not version:
        return ""
    if not re.match(r"^[0-9][0-9A-Za-z.+:~_-]*$", version):
        raise DockerRepoError("%s %r is not an RPM version or version prefix" % (varname, version))
    if ":" in version or "-" in version:
        return version
    if version.count(".") < 2:
        return "%s.*" % version
    return "%s*" % version


def dpkg_packages(text):
    """What dpkg knows of some packages, from `dpkg-query --show --showformat FORMAT` with FORMAT
    `${Package}\\t${db:Status-Abbrev}\\t${Version}\\t${db:Status-Want}\\n` (name, status, version, selection),
    as roles/docker_install_ubuntu/tasks/preflight.yml runs it.

    Returns {name: {"installed": bool, "version": str, "selection": str}}. A package
    is installed when its status is "installed" (ii); one with only its configuration
    left (rc) or half-installed is not. Packages dpkg never saw are absent.
    """
    packages = {}
    for line in (text or "").splitlines():
        fields = line.split("\t")
        if len(fields) != 4 or not fields[0]:
            raise DockerRepoError("unexpected dpkg-query line %r" % line)
        name, status, version, selection = fields
        packages[name.split(":", 1)[0]] = {
            "installed": status[1:2] == "i",
            "version": version,
            "selection": selection,
        }
    return packages


def apt_packages_to_install(installed, wanted, pinned=(), version_spec=""):
    """The entries of wanted that apt must still install.

    installed is dpkg_packages()'s result; wanted are apt names, optionally
    name=version-pattern; pinned names get version_spec when they have none. A
    package counts as there when installed at a version its pattern matches
    (apt's glob: fnmatch), so a new pin or a downgrade is not missed.
    """
    missing = []
    for entry in wanted:
        name, _sep, pattern = entry.partition("=")
        if not pattern and name in pinned:
            pattern = version_spec
        package = installed.get(name)
        if package is None or not package["installed"]:
            missing.append(entry)
        elif pattern and not fnmatch.fnmatchcase(package["version"], pattern):
            missing.append(entry)
    return missing


def dpkg_selections_to_change(installed, names, selection, reinstalled=()):
    """The names whose dpkg selection (install, hold) is not selection yet.

    installed is dpkg_packages()'s result read before apt ran: a package that
    was not installed then was installed by apt with the selection "install".
    reinstalled: names apt installed or upgraded in this run; apt may have
    changed their selection (an upgrade of a held package with
    --allow-change-held-packages leaves it "install"), so for a hold they are
    always listed (dpkg_selections changes nothing where the selection is
    right). apt leaves what it installs at "install", so for "install" they
    are listed only where dpkg had them on hold before (installed or not): a
    fresh install sets no selection.
    """
    reinstalled = set(reinstalled)
    changes = [name for name in names if name in reinstalled
               and (selection != "install" or (installed.get(name) or {}).get("selection") == "hold")]
    for name in names:
        if name in changes:
            continue
        package = installed.get(name)
        current = package["selection"] if package and package["installed"] else "install"
        if current != selection:
            changes.append(name)
    return changes


def runtime_removal_refusal(conflicting, running, kubelet, allowed=False, varname="remove_runtime_with_workloads"):
    """Why removing the distribution's runtime packages is refused, or "" when it may go ahead.

    conflicting: the installed packages Docker CE replaces; running: names of
    the containers running on them; kubelet: whether a kubelet is installed.
    """
    if allowed or not conflicting or not (running or kubelet):
        return ""
    what = []
    if running:
        what.append("%d running container(s): %s" % (len(running), ", ".join(sorted(running))))
    if kubelet:
        what.append("an installed kubelet, whose container runtime they may be")
    return ("Installing Docker CE would remove %s, and this host has %s. They would be stopped or lose their "
            "runtime. Nothing was changed. Move the workloads off this host first, or set %s: true to allow it."
            % (", ".join(conflicting), " and ".join(what), varname))


# The packages a version pin applies to: Docker releases them together.
VERSIONED = ("docker-ce", "docker-ce-cli", "docker-ce-rootless-extras")
# Packages read with the role's own ones: whether a kubelet runs on the runtime, AppArmor's parser, Ansible's apt
# module, and Debian 13's separate docker-cli.
_APT_ALSO_READ = ("docker-cli", "kubelet", "apparmor", "python3-apt")


def _unique(names):
    seen = []
    for name in names:
        if name not in seen:
            seen.append(name)
    return seen


def _pinned_names(packages, spec, sep):
    return [name + sep + spec if spec and name in VERSIONED else name for name in packages]


def apt_queried(packages, distro_packages=(), python_packages=(), legacy_packages=()):
    """The package names one dpkg-query reads for the plan: the role's lists, without any =version."""
    names = list(packages) + list(distro_packages) + list(python_packages) + list(legacy_packages)
    return _unique([name.split("=", 1)[0] for name in names + list(_APT_ALSO_READ)])


def _apparmor_enforced(content):
    """/sys/module/apparmor/parameters/enabled as ansible.builtin.slurp returns it (base64): Y when enforced."""
    try:
        return base64.b64decode(content or "", validate=True).strip() == b"Y"
    except (binascii.Error, ValueError):
        raise DockerRepoError("the AppArmor parameter read from the host is not base64: %r" % (content,))


def apt_plan(dpkg_output, packages, distro_packages=(), python_packages=(), legacy_packages=(), source="upstream",
             version="", hold=True, apparmor="", apparmor_parser=True, distro_cli=False, check_mode=False,
             varname="version"):
    """What docker_install_ubuntu installs, removes and holds, from one dpkg-query read of the host.

    dpkg_output: the stdout of the dpkg-query in roles/docker_install_ubuntu/tasks/preflight.yml (dpkg_packages());
    apparmor: slurp's content of /sys/module/apparmor/parameters/enabled (base64, "" when absent); distro_cli:
    whether apt knows a docker-cli package (Debian 13 and later ship the client apart from docker.io);
    check_mode: Ansible's; varname: the variable version came from, named in a refusal. Returns a dict:

    installed: dpkg_packages()'s dict; version_spec: the apt pattern of version; pinned: a pin applies (upstream);
    base: what apt installs before distro_cli is known (name=pattern for pinned packages); names: what apt
    installs; missing_base, missing: the entries of base and names apt must still install; missing_names: the
    package names of missing; conflicting: installed packages Docker CE replaces (upstream only); engine_version:
    the installed docker-ce version, or None; engine_changes: the engine's package is about to change on a host
    with an engine (the devicemapper check); kubelet: a kubelet is installed; held: the packages a pin holds
    (containerd.io with them: an upgrade must not move the runtime under a pinned engine); selection: their dpkg
    selection (hold or install); apt_usable: Ansible's apt module can run (python3-apt installed, or a real run,
    which installs it); apt_work: apt has something to do (a conflicting package to remove, a package to install,
    or, from the distribution, the index to read for a docker-cli package not installed): on a host in shape,
    False, and the role's apt steps are skipped as one.
    """
    if source not in ("upstream", "distro"):
        raise DockerRepoError("source %r is not one of upstream, distro" % (source,))
    installed = dpkg_packages(dpkg_output)
    spec = apt_version_spec(version, varname)
    upstream = source == "upstream"
    pinned = upstream and bool(spec)

    def there(name):
        return installed.get(name, {}).get("installed", False)

    base = _pinned_names(packages, spec if pinned else "", "=") if upstream else list(distro_packages)
    base = base + list(python_packages) + (["apparmor"] if apparmor_parser and _apparmor_enforced(apparmor) else [])
    cli = [] if upstream or not (there("docker-cli") or distro_cli) else ["docker-cli"]
    names = _unique(base + cli)
    missing_base = apt_packages_to_install(installed, base)
    missing = apt_packages_to_install(installed, names)
    conflicting = [name for name in legacy_packages if there(name)] if upstream else []
    return {
        "installed": installed,
        "version_spec": spec,
        "pinned": pinned,
        "base": base,
        "names": names,
        "missing_base": missing_base,
        "missing": missing,
        "missing_names": [entry.split("=", 1)[0] for entry in missing],
        "conflicting": conflicting,
        "engine_version": installed["docker-ce"]["version"] if there("docker-ce") else None,
        "engine_changes": (upstream and any(entry.split("=", 1)[0] == "docker-ce" for entry in missing_base)
                           and (there("docker-ce") or there("docker.io"))),
        "kubelet": there("kubelet"),
        "held": [name for name in VERSIONED + ("containerd.io",) if name in packages],
        "selection": "hold" if hold and pinned else "install",
        "apt_usable": there("python3-apt") or not check_mode,
        "apt_work": bool(conflicting or missing) or not (upstream or there("docker-cli")),
    }


def rpm_plan(packages, python_packages=(), version="", hold=True, installed=None, legacy_packages=(),
             legacy_packages_el8=(), major=9, selinux="disabled", varname="version"):
    """What docker_install_centos installs, removes and locks.

    installed: package_facts' ansible_facts.packages ({name: [{version, ...}]}); major: the distribution's major
    version (EL 8 and later also conflict with legacy_packages_el8); selinux: the selinux status fact (enabled
    adds container-selinux); varname: the variable version came from. Returns a dict: version_spec (the dnf/yum
    suffix of version), names (name-suffix for pinned packages, then python_packages), locked (the packages a
    pin applies to; none without a pin), lock (hold: whether they are locked at their version or unlocked),
    lock_tool (dnf's versionlock plugin from EL 8, yum's before),
    conflicting (installed packages Docker CE replaces), engine_version (the installed docker-ce version, or None),
    engine_changes (an engine is installed and its package may change: a pin, or Docker CE replacing another
    engine; the devicemapper check), kubelet (a kubelet is installed), runtimes (the installed container CLIs whose
    containers would be lost: podman, docker), prerequisites (the package tools' versionlock plugin, the storage
    tools, and container-selinux where SELinux is on), prerequisites_missing (those not installed), missing (the
    entries of names not installed as they ask, see _rpm_has: dnf is not called when it is empty).
    """
    installed = installed or {}
    spec = rpm_version_spec(version, varname)
    try:
        major = int(major)
    except (TypeError, ValueError):
        raise DockerRepoError("the distribution's major version %r is not a number" % (major,))
    legacy = list(legacy_packages) + (list(legacy_packages_el8) if major >= 8 else [])
    tools = ["yum-utils", "yum-plugin-versionlock"] if major < 8 else ["dnf-plugins-core", "python3-dnf-plugin-versionlock"]
    engine = installed.get("docker-ce") or []
    names = _pinned_names(packages, spec, "-") + list(python_packages)
    prerequisites = tools + ["device-mapper-persistent-data", "lvm2"] + (["container-selinux"] if selinux == "enabled" else [])
    return {
        "version_spec": spec,
        "names": names,
        "missing": [entry for entry, name in zip(names, packages) if not _rpm_has(installed.get(name), spec if name in VERSIONED else "")]
        + [name for name in python_packages if not installed.get(name)],
        "locked": [name for name in VERSIONED if name in packages] if spec else [],
        "lock": bool(hold),
        "lock_tool": "yum" if major < 8 else "dnf",
        "conflicting": [name for name in legacy if name in installed],
        "engine_version": engine[0].get("version") if engine else None,
        "engine_changes": bool(engine or "docker" in installed) and (bool(spec) or not engine),
        "kubelet": "kubelet" in installed,
        "runtimes": [name for name in ("podman", "docker") if name in installed],
        "prerequisites": prerequisites,
        "prerequisites_missing": [name for name in prerequisites if not installed.get(name)],
    }


def _rpm_has(entries, spec):
    """Whether an installed package (its package_facts entries) already is what `dnf install NAME-SPEC` asks for, so
    that dnf would do nothing: any version without a spec; else the spec, a glob like dnf's, over version-release
    (epoch:version-release when the spec names an epoch). In doubt (no entries, an epoch package_facts did not
    give), False: dnf is asked, as it always was."""
    if not entries:
        return False
    if not spec:
        return True
    for entry in entries:
        text = "%s-%s" % (entry.get("version"), entry.get("release"))
        if ":" in spec:
            text = "%s:%s" % (entry.get("epoch"), text)
        if fnmatch.fnmatchcase(text, spec):
            return True
    return False
