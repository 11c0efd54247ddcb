# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE: shared by this collection's filters and playbooks (controller side); not a public API, may change without notice.

The audit's daemon, file and host checks (CIS Docker Benchmark sections 1, 2 and 3).

Findings are audit_engine's rows, dict(check, cis, severity, subject, detail, action). ``cis`` is the number
docker-bench-security v1.6.0 gives the check (tests/1_host_configuration.sh, tests/2_docker_daemon_configuration.sh,
tests/3_docker_daemon_configuration_files.sh), None where none corresponds.

What is read: ``info``, the engine's /info answer (docker info, as community.docker.docker_host_info returns it);
``daemon_json``, the parsed /etc/docker/daemon.json ({} without one); ``files``, {path: ansible.builtin.stat's
``stat``} of the paths file_paths() names; ``mounts``, Ansible's ``mounts`` facts. Settings given on dockerd's command
line instead of daemon.json are seen only where docker info shows them (live-restore, userns, insecure registries,
mirrors, a TCP listener without TLS through the engine's own warning).

Severities: critical (the engine's API open on the network without TLS), high (anyone but root can change what
dockerd runs or reads its key; insecure registries; an upstream engine no longer maintained), medium (CIS 2 defaults
that widen what a container can reach: icc, no user namespaces, no-new-privileges off; a distribution's engine whose
upstream major is unmaintained; the data root on the root file system; TLS without client verification), low
(live-restore, userland-proxy, read bits beyond the benchmark's), info (registry mirrors configured); a registry
mirror that does not answer is medium.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import posixpath
import re

# Docker Engine majors upstream still maintains, as of ENGINE_SUPPORT_DATE. Sources, read on that date: moby/moby's
# project/BRANCHES-AND-TAGS.md (Docker, Inc. maintains the latest major; the one before it until "after" the next
# one is out) and the docker/cli release tags (29.10.1 tagged 2026-11-24; 29.0.0 on 2025-11-10, so 28.x, whose last
# release was 28.5.2, is past maintenance). Edit both together when a new major comes out.
ENGINE_SUPPORTED_MAJORS = (29,)
ENGINE_SUPPORT_DATE = "2026-11-29"
# The engine's own insecure registry range, always present in docker info.
DEFAULT_INSECURE_CIDRS = ("127.0.0.0/8", "::1/128")
# A distribution's build of the engine (Debian/Ubuntu docker.io: 20.10.24+dfsg1; Fedora/EPEL moby-engine carry
# no suffix and are judged as upstream's).
_DISTRO_BUILD = re.compile(r"\+(dfsg|ds|really)|~|ubuntu|deb", re.I)
_TCP_WARNING = re.compile(r"API is accessible on (https?://\S+?)(?: without encryption)", re.I)

UNIT_DIRS = ("/etc/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system")
UNITS = ("docker.service", "docker.socket")
ETC_DOCKER = "/etc/docker"
DAEMON_JSON = "/etc/docker/daemon.json"
DOCKER_SOCK = "/var/run/docker.sock"
TLS_KEYS = ("tlscacert", "tlscert", "tlskey")


class AuditDaemonError(ValueError):
    pass


def _row(check, cis, severity, subject, detail, action):
    return dict(check=check, cis=cis, severity=severity, subject=subject, detail=detail, action=action)


def _true(value):
    return value is True or str(value).lower() == "true"


def _false(value):
    return value is False or str(value).lower() == "false"


def engine_major(version):
    m = re.match(r"^v?(\d+)\.", str(version or ""))
    return int(m.group(1)) if m else None


def engine_series(version):
    """How upstream names an engine's release line: 20.10 before Engine 23 (year.month), 28.x since."""
    m = re.match(r"^v?(\d+)\.(\d+)", str(version or ""))
    if not m:
        return None
    return "%s.%s" % (m.group(1), m.group(2)) if int(m.group(1)) < 23 else "%s.x" % m.group(1)


def engine_support(version):
    """(supported, distro_build) of an engine version; supported is None when the version is unknown."""
    major = engine_major(version)
    if major is None:
        return None, False
    return major in ENGINE_SUPPORTED_MAJORS, bool(_DISTRO_BUILD.search(str(version)))


def _tcp_hosts(daemon_json):
    hosts = daemon_json.get("hosts") or []
    if isinstance(hosts, str):
        hosts = [hosts]
    return [h for h in hosts if isinstance(h, str) and h.startswith("tcp://")]


def _tcp(info, daemon_json):
    listeners = _tcp_hosts(daemon_json)
    warned = [m.group(1) for w in info.get("Warnings") or [] for m in [_TCP_WARNING.search(w or "")] if m]
    if not listeners and not warned:
        return
    if _true(daemon_json.get("tlsverify")):
        return
    if _true(daemon_json.get("tls")) and not warned:
        yield _row("daemon_tcp_tls_no_verify", "2.7", "medium", "dockerd",
                   "listens on %s with TLS but without client verification (tlsverify)" % ", ".join(listeners),
                   "set tlsverify true with tlscacert, so that only clients with a certificate it signed get in")
        return
    yield _row("daemon_tcp_without_tls", "2.7", "critical", "dockerd",
               "the API listens on %s without TLS: whoever reaches the port is root on the host"
               % ", ".join(sorted(set(listeners + warned))),
               "listen on the Unix socket only, or set tls, tlsverify, tlscacert, tlscert and tlskey in daemon.json")


def _insecure_registries(info, daemon_json):
    registry = info.get("RegistryConfig") or {}
    insecure = [c for c in registry.get("InsecureRegistryCIDRs") or [] if c not in DEFAULT_INSECURE_CIDRS]
    for name, index in sorted((registry.get("IndexConfigs") or {}).items()):
        if isinstance(index, dict) and index.get("Secure") is False and name not in insecure:
            insecure.append(name)
    for name in daemon_json.get("insecure-registries") or []:
        if name not in insecure and name not in DEFAULT_INSECURE_CIDRS:
            insecure.append(name)
    if insecure:
        yield _row("daemon_insecure_registries", "2.5", "high", "dockerd",
                   "insecure registries (plain HTTP or unchecked certificates): %s" % ", ".join(insecure),
                   "remove insecure-registries; give the registries a certificate the host trusts")


def _live_restore(info, daemon_json):
    swarm = (info.get("Swarm") or {}).get("LocalNodeState")
    if info.get("LiveRestoreEnabled") is False and swarm != "active":
        yield _row("daemon_live_restore_off", "2.15", "low", "dockerd",
                   "live-restore is off: restarting or upgrading dockerd stops every container",
                   "set live-restore true in daemon.json (dockerops.host.docker_daemon)")


def _userns(info, daemon_json):
    options = info.get("SecurityOptions") or []
    if not any(str(o).startswith("name=userns") for o in options) and not daemon_json.get("userns-remap"):
        yield _row("daemon_userns_off", "2.9", "medium", "dockerd",
                   "user namespaces are off: root in a container is root on the host",
                   "set userns-remap (default) in daemon.json, after checking the containers' volumes' owners")


def _icc(info, daemon_json):
    if not _false(daemon_json.get("icc")):
        yield _row("daemon_icc_on", "2.2", "medium", "dockerd",
                   "containers on the default bridge reach each other on every port (icc is %s)"
                   % ("true" if "icc" in daemon_json else "not set, so true"),
                   "set icc false in daemon.json; link the containers that talk through a user-defined network")


def _no_new_privileges(info, daemon_json):
    if not _true(daemon_json.get("no-new-privileges")):
        yield _row("daemon_no_new_privileges_off", "2.14", "medium", "dockerd",
                   "containers may gain privileges through setuid binaries (no-new-privileges is not set)",
                   "set no-new-privileges true in daemon.json")


def _userland_proxy(info, daemon_json):
    if not _false(daemon_json.get("userland-proxy")):
        yield _row("daemon_userland_proxy_on", "2.16", "low", "dockerd",
                   "published ports go through docker-proxy processes (userland-proxy is on)",
                   "set userland-proxy false in daemon.json (the kernel's NAT does the forwarding)")


def _mirror_key(url):
    return str(url).rstrip("/")


def _mirrors(info, daemon_json, probes):
    """The mirrors the engine uses (docker info) and those daemon.json lists that it does not use yet; with probes
    (docker_audit_info's ``mirrors``, None when not probed), each mirror that does not answer as a registry."""
    mirrors = list((info.get("RegistryConfig") or {}).get("Mirrors") or [])
    for m in daemon_json.get("registry-mirrors") or []:
        if _mirror_key(m) not in [_mirror_key(x) for x in mirrors]:
            mirrors.append(m)
    if not mirrors:
        return
    if probes is None:
        yield _row("daemon_registry_mirrors", None, "info", "dockerd",
                   "registry mirrors: %s (whether each answers is not checked)" % ", ".join(mirrors),
                   "none; make sure each mirror is reachable from the host")
        return
    probed = dict((_mirror_key(p.get("url")), p) for p in probes)
    states, down = [], []
    for m in mirrors:
        p = probed.get(_mirror_key(m))
        if p is None:
            states.append("%s (not probed: the engine does not use it yet)" % m)
        elif p.get("answers"):
            states.append("%s (answers)" % m)
        else:
            states.append("%s (does not answer)" % m)
            down.append(_row("daemon_registry_mirror_down", None, "medium", m,
                             "does not answer as a registry: %s" % (p.get("error") or "no cause given"),
                             "fix the mirror, or take it out of registry-mirrors (dockerops.host.docker_daemon's "
                             "docker_daemon_registry_mirrors): the engine tries it first on every pull, then the "
                             "next mirror, then Docker Hub, which a fleet that relies on mirrors may not reach"))
    yield _row("daemon_registry_mirrors", None, "info", "dockerd", "registry mirrors: %s" % ", ".join(states),
               "none" if not down else "see daemon_registry_mirror_down")
    yield from down


def _eol(info, daemon_json):
    version = info.get("ServerVersion")
    supported, distro = engine_support(version)
    if supported is False:
        if distro:
            yield _row("engine_eol", "1.2.2", "medium", "dockerd",
                       "Engine %s: upstream no longer maintains %s (maintained: %s, as of %s); the distribution "
                       "backports security fixes while its release is supported"
                       % (version, engine_series(version), _majors(), ENGINE_SUPPORT_DATE),
                       "plan the move to a maintained engine (dockerops.host.docker_install_ubuntu, source upstream)")
        else:
            yield _row("engine_eol", "1.2.2", "high", "dockerd",
                       "Engine %s: upstream no longer maintains %s (maintained: %s, as of %s): no security fixes"
                       % (version, engine_series(version), _majors(), ENGINE_SUPPORT_DATE),
                       "upgrade the engine to a maintained major")


def _majors():
    return ", ".join("%d.x" % m for m in ENGINE_SUPPORTED_MAJORS)


_DAEMON_CHECKS = (_tcp, _insecure_registries, _live_restore, _userns, _icc, _no_new_privileges, _userland_proxy,
                  _eol)


def daemon_findings(info, daemon_json, mirror_probes=None):
    """The CIS 2 findings on an engine's docker info and its daemon.json (parsed; {} without one), and on the
    registry mirrors' probes of docker_audit_info (its ``mirrors``; None: not probed)."""
    if not isinstance(info, dict):
        raise AuditDaemonError("docker info must be a dict, got %r" % type(info).__name__)
    if mirror_probes is not None and not (isinstance(mirror_probes, list) and
                                          all(isinstance(p, dict) for p in mirror_probes)):
        raise AuditDaemonError("the mirror probes must be a list of dicts, got %r" % (mirror_probes,))
    daemon_json = daemon_json if isinstance(daemon_json, dict) else {}
    rows = []
    for check in _DAEMON_CHECKS:
        rows.extend(check(info, daemon_json))
    rows.extend(_mirrors(info, daemon_json, mirror_probes))
    return rows


# Files (CIS 3)


def tls_paths(daemon_json):
    daemon_json = daemon_json if isinstance(daemon_json, dict) else {}
    return [(key, daemon_json[key]) for key in TLS_KEYS
            if isinstance(daemon_json.get(key), str) and daemon_json[key].startswith("/")]


def file_paths(daemon_json):
    """The paths whose owner and mode the files checks read, to stat on the host."""
    paths = ["%s/%s" % (d, u) for u in UNITS for d in UNIT_DIRS]
    paths += [ETC_DOCKER, DAEMON_JSON, DOCKER_SOCK] + [p for dummy, p in tls_paths(daemon_json)]
    return paths


# (check, cis of the owner, cis of the mode, group wanted, widest mode allowed, secret)
_FILE_RULES = {
    "docker.service": ("file_docker_service", "3.1", "3.2", "root", 0o644, False),
    "docker.socket": ("file_docker_socket_unit", "3.3", "3.4", "root", 0o644, False),
    ETC_DOCKER: ("file_etc_docker", "3.5", "3.6", "root", 0o755, False),
    DAEMON_JSON: ("file_daemon_json", "3.17", "3.18", "root", 0o644, False),
    DOCKER_SOCK: ("file_docker_sock", "3.15", "3.16", "docker", 0o660, False),
    "tlscacert": ("file_tls_ca", "3.9", "3.10", "root", 0o444, False),
    "tlscert": ("file_tls_cert", "3.11", "3.12", "root", 0o444, False),
    "tlskey": ("file_tls_key", "3.13", "3.14", "root", 0o400, True),
}


def _unit_path(files, unit):
    """The unit file systemd loads: the first directory of UNIT_DIRS that has it."""
    for d in UNIT_DIRS:
        path = "%s/%s" % (d, unit)
        if (files.get(path) or {}).get("exists"):
            return path
    return None


def _check_file(path, st, rule):
    check, cis_owner, cis_mode, group, allowed, secret = rule
    owner = st.get("pw_name") or str(st.get("uid"))
    grp = st.get("gr_name") or str(st.get("gid"))
    if owner != "root" or grp != group:
        yield _row(check, cis_owner, "high" if owner != "root" else "medium", path,
                   "owned by %s:%s, not root:%s" % (owner, grp, group), "chown root:%s %s" % (group, path))
    mode = st.get("mode")
    if mode is None:
        return
    bits = int(str(mode), 8) & 0o7777
    excess = bits & ~allowed
    if excess:
        wide = excess & 0o022 or (secret and excess & 0o077) or excess & 0o6000
        yield _row(check, cis_mode, "high" if wide else "low", path,
                   "mode %04o, wider than %04o" % (bits, allowed), "chmod %04o %s" % (allowed, path))


def file_findings(files, daemon_json):
    """The CIS 3 findings on the stat results of file_paths() ({path: stat}); a path that does not exist is no
    finding, but a TLS file named in daemon.json that is missing is."""
    if not isinstance(files, dict):
        raise AuditDaemonError("files must be a dict of path: stat, got %r" % type(files).__name__)
    rows = []
    targets = [(u, _unit_path(files, u)) for u in UNITS]
    targets += [(p, p) for p in (ETC_DOCKER, DAEMON_JSON, DOCKER_SOCK)]
    targets += tls_paths(daemon_json)
    for rule, path in targets:
        if path is None:
            continue
        st = files.get(path) or {}
        if rule in TLS_KEYS and path in files and not st.get("exists"):
            rows.append(_row(_FILE_RULES[rule][0], None, "medium", path, "named by %s in daemon.json but missing" % rule,
                             "put the file there, or correct %s in daemon.json" % rule))
            continue
        if st.get("exists"):
            rows.extend(_check_file(path, st, _FILE_RULES[rule]))
    return rows


# Host (CIS 1)


def mount_point(path, mounts):
    """The mount point (of Ansible's mounts facts) the path is on: the longest mount that contains it."""
    path = posixpath.normpath(path)
    best = None
    for m in mounts or []:
        mp = posixpath.normpath(m.get("mount") or "")
        if not mp.startswith("/"):
            continue
        if path == mp or path.startswith(mp.rstrip("/") + "/"):
            if best is None or len(mp) > len(best):
                best = mp
    return best


def host_findings(info, mounts):
    """CIS 1.1.1: the data root is a file system of its own (a mount point itself). Not judged without mounts."""
    root = (info or {}).get("DockerRootDir")
    if not root or not mounts:
        return []
    mp = mount_point(root, mounts)
    if mp is None or mp == posixpath.normpath(root):
        return []
    return [_row("data_root_shared", "1.1.1", "medium", root,
                 "the data root is on the file system mounted at %s: full images or container logs fill it" % mp,
                 "give %s a file system of its own (dockerops.host.docker_storage can move the data root)" % root)]
