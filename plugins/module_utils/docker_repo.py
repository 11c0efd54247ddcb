# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where Docker CE comes from: mirror names, channels and version pins.

One place for what both install roles (apt and yum) share.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

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


def apt_version_spec(version):
    """An apt version pattern for a docker-ce version or prefix.

    '' -> '' (no pin); '5:27.3.1-1~debian.12~bookworm' -> itself (exact);
    '27.3.1' or '27.3' -> '5:27.3.1*' / '5:27.3.*' (Docker's epoch is 5).
    """
    version = (version or "").strip()
    if not version:
        return ""
    if not re.match(r"^[0-9][0-9A-Za-z.+:~-]*$", version):
        raise DockerRepoError("version %r is not a Debian version or version prefix" % version)
    if ":" in version or "~" in version or "-" in version:
        return version if ":" in version else "5:" + version
    if version.count(".") < 2:
        return "5:%s.*" % version
    return "5:%s*" % version


def rpm_version_spec(version):
    """A dnf/yum package version suffix for a docker-ce version or prefix.

    '' -> ''; '27.3.1' -> '27.3.1*'; '27.3' -> '27.3.*'; '3:27.3.1-1.el9' -> itself (exact).
    """
    version = (version or "").strip()
    if not version:
        return ""
    if not re.match(r"^[0-9][0-9A-Za-z.+:~_-]*$", version):
        raise DockerRepoError("version %r is not an RPM version or version prefix" % version)
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
    --allow-change-held-packages leaves it "install"), so they are always
    listed (dpkg_selections changes nothing where the selection is right).
    """
    changes = [name for name in names if name in set(reinstalled)]
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
