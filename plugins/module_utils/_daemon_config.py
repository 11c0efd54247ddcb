# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE: shared by this collection's modules; not a public API, may change without notice.

Build and check /etc/docker/daemon.json from several sources.

Sources are merged in order; a key two sources set to different values is a
conflict and is refused, naming the key and both sources, so no source's
setting is ever dropped silently.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from ansible_collections.dockerops.host.plugins.module_utils import _docker_engine

# Keys dockerd 20.10 accepts in daemon.json (docs: dockerd reference,
# "Daemon configuration file"), for engines without `dockerd --validate` (<23).
KNOWN_KEYS_20_10 = frozenset("""
allow-nondistributable-artifacts api-cors-header authorization-plugins bip bridge cgroup-parent
cluster-advertise cluster-store cluster-store-opts containerd containerd-namespace containerd-plugins-namespace
data-root debug default-address-pools default-cgroupns-mode default-gateway default-gateway-v6 default-ipc-mode
default-runtime default-shm-size default-ulimits dns dns-opts dns-search exec-opts exec-root experimental
features fixed-cidr fixed-cidr-v6 group hosts icc init init-path insecure-registries ip ip-forward
ip-masq ip6tables iptables ipv6 labels live-restore log-driver log-level log-opts max-concurrent-downloads
max-concurrent-uploads max-download-attempts mtu no-new-privileges node-generic-resources oom-score-adjust
pidfile raw-logs registry-mirrors rootless runtimes seccomp-profile selinux-enabled shutdown-timeout
storage-driver storage-opts swarm-default-advertise-addr tls tlscacert tlscert tlskey tlsverify
userland-proxy userland-proxy-path userns-remap
""".split())


class DaemonConfigError(ValueError):
    pass


MIRROR_ALLOWED = ("an http:// or https:// URL of a host name or IP address, an optional :port and an optional "
                  "/path, nothing else (no user:password@, no ?query, no #fragment, no whitespace or control "
                  "characters)")
_HOST_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_IPV6 = re.compile(r"^\[[0-9A-Fa-f:.]+(?:%25[A-Za-z0-9._~-]+)?\]$")
# RFC 3986 path characters (pchar and "/"), without "@" (kept out so that nothing reads as user@host) and
# without quotes; "%" only as a %XX escape (checked apart).
_PATH = re.compile(r"^(?:/[A-Za-z0-9._~!$&()*+,;=:%-]*)*$")


def mask_url(value):
    """The value with any user:password@ (or token@) part masked, and any ?query or #fragment hidden.

    Works on malformed input too: everything up to the last "@" after the scheme is taken as credentials."""
    text = value if isinstance(value, str) else repr(value)
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "", text
    if "@" in rest:
        userinfo, dummy, rest = rest.rpartition("@")
        user, colon, dummy = userinfo.partition(":")
        shown = "%s:***@" % user if colon and not any(c in user for c in "/?#") else "***@"
        rest = shown + rest
    for mark in ("?", "#"):
        if mark in rest:
            rest = rest.split(mark, 1)[0] + mark + "***"
    return scheme + sep + rest


def _shown(value):
    """A masked value, quoted and escaped (a newline shows as \\n) for a message."""
    return json.dumps(mask_url(value))


def _bad_char(text):
    """(position, character) of the first whitespace, control or non-ASCII character, else None."""
    for i, c in enumerate(text):
        if c.isspace() or ord(c) < 0x20 or 0x7f <= ord(c):
            return i, c
    return None


def mirror_problem(url):
    """Why a registry mirror URL is refused, or None when it is scheme + host (+ port, + path) only."""
    if not isinstance(url, str):
        return "is not a string"
    bad = _bad_char(url)
    if bad:
        return "has a whitespace, control or non-ASCII character (U+%04X at position %d)" % (ord(bad[1]), bad[0])
    m = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://(.*)$", url)
    if not m:
        return "is not a URL (no scheme://)"
    scheme, rest = m.group(1).lower(), m.group(2)
    if scheme not in ("http", "https"):
        return "has the scheme %s:// (only http:// and https://)" % scheme
    if "@" in rest:
        return "carries credentials (user:password@ or token@): a mirror URL must not hold a secret"
    if "?" in rest:
        return "has a query (?...)"
    if "#" in rest:
        return "has a fragment (#...)"
    authority, slash, path = rest.partition("/")
    path = slash + path
    if authority.startswith("["):
        end = authority.find("]") + 1 or len(authority)
        host, port = authority[:end], authority[end:]
        if port and not port.startswith(":"):
            return "has the host %r (not an IPv6 address in brackets)" % authority
        port = port[1:] if port else None
    else:
        host, colon, port = authority.partition(":")
        port = port if colon else None
    if port is not None and not (port.isdigit() and 1 <= int(port) <= 65535):
        return "has the port %r (a number from 1 to 65535)" % port
    if not host:
        return "has no host"
    if host.startswith("["):
        if not _IPV6.match(host):
            return "has the host %r (not an IPv6 address in brackets)" % host
    elif len(host) > 253 or not all(_HOST_LABEL.match(label) for label in host.rstrip(".").split(".")):
        return "has the host %r (not a host name or IP address)" % host
    if not _PATH.match(path) or re.search(r"%(?![0-9A-Fa-f]{2})", path):
        return "has the path %r (only RFC 3986 path characters, %%XX escapes, no quotes)" % path
    return None


def check_registry_mirrors(mirrors, varname="registry_mirrors"):
    """Refuse, before anything is written, any mirror that is more than scheme + host (+ port, + path).

    The message names the variable, the entry's index and its value with any credentials masked."""
    if not isinstance(mirrors, list):
        raise DaemonConfigError("%s must be a list of URLs, got %s" % (varname, _shown(str(mirrors))))
    for index, url in enumerate(mirrors):
        problem = mirror_problem(url)
        if problem:
            raise DaemonConfigError("%s[%d]: %s %s; a registry mirror is %s" % (
                varname, index, _shown(url) if isinstance(url, str) else repr(url), problem, MIRROR_ALLOWED))
    return mirrors


# systemd EnvironmentFile= syntax (systemd.exec(5)): in a "..." value a backslash before one of "\`$ keeps that
# character; any other character stands for itself. systemd 239 (EL8) drops the backslash before any character,
# so escaping exactly these four reads the same on every version. "%" specifiers are not expanded in the file
# (they are in Environment= lines), and "$" is not expanded either; the escape keeps the file safe to source.
_ENV_FILE_ESCAPE = re.compile(r'(["\\`$])')


def env_value_problem(value):
    """Why a value cannot be written to an EnvironmentFile, or None. Names no part of the value."""
    if not isinstance(value, str):
        return "must be a string, got %s" % type(value).__name__
    for i, c in enumerate(value):
        # Newlines would start a new assignment; other control characters (C0, DEL, C1, U+2028/9, BOM) have no
        # place in a proxy setting.
        if ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f or c in "\u2028\u2029\ufeff":
            return "contains a newline or control character (U+%04X at position %d)" % (ord(c), i)
    return None


def proxy_settings(settings):
    """Check [{name, var, value}] (name: the environment variable, var: the role variable naming it in messages).

    Returns the non-empty ones. Messages name the variable, never the value."""
    if not isinstance(settings, list):
        raise DaemonConfigError("proxy settings must be a list of {name, var, value}")
    out = []
    for s in settings:
        name, var, value = s["name"], s.get("var", s["name"]), s.get("value")
        if value is None or value == "":
            continue
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
            raise DaemonConfigError("%s: %r is not an environment variable name" % (var, name))
        problem = env_value_problem(value)
        if problem:
            raise DaemonConfigError("%s %s; the engine's proxy settings must be one line" % (var, problem))
        out.append((name, value))
    return out


def env_file_quote(value):
    """value as a double-quoted systemd EnvironmentFile value that systemd reads back exactly."""
    problem = env_value_problem(value)
    if problem:
        raise DaemonConfigError("the value %s" % problem)
    return '"%s"' % _ENV_FILE_ESCAPE.sub(r"\\\1", value)


def proxy_env_file(settings, header="# Managed by dockerops.host.docker_daemon\n"):
    """The EnvironmentFile text for the engine's proxy settings (see proxy_settings)."""
    return header + "".join("%s=%s\n" % (name, env_file_quote(value)) for name, value in proxy_settings(settings))


def proxy_masked(settings):
    """{name: value with credentials masked} of the non-empty settings, for task output."""
    return dict((name, mask_url(value)) for name, value in proxy_settings(settings))


def merge(sources):
    """sources: [(name, dict)], in order. Returns (merged, {key: name})."""
    merged, origin = {}, {}
    for name, options in sources:
        if options is None:
            continue
        if not isinstance(options, dict):
            raise DaemonConfigError("daemon options from %s must be a mapping, got %r" % (name, options))
        for key, value in options.items():
            if key in merged and merged[key] != value:
                if isinstance(merged[key], dict) and isinstance(value, dict):
                    sub, dummy = _merge_dicts(key, origin[key], merged[key], name, value)
                    merged[key] = sub
                    origin[key] = "%s+%s" % (origin[key], name)
                    continue
                raise DaemonConfigError(
                    "daemon option %r is set to %r by %s and to %r by %s: settle it in one place"
                    % (key, merged[key], origin[key], value, name))
            merged.setdefault(key, value)
            origin.setdefault(key, name)
    return merged, origin


def _merge_dicts(key, name_a, a, name_b, b):
    out = dict(a)
    for k, v in b.items():
        if k in out and out[k] != v:
            raise DaemonConfigError("daemon option %s.%s is set to %r by %s and to %r by %s: settle it in one place"
                                    % (key, k, out[k], name_a, v, name_b))
        out[k] = v
    return out, None


def has_validate(engine_version):
    """`dockerd --validate` exists from Engine 23.0 on. A version that does not start with MAJOR.MINOR is refused."""
    try:
        return _docker_engine.version_tuple(engine_version, strict=True) >= (23, 0, 0)
    except _docker_engine.EngineVersionError as e:
        raise DaemonConfigError(str(e))


def check_known_keys(config, engine_version):
    """On engines without --validate: refuse keys dockerd would not know, naming them."""
    if has_validate(engine_version):
        return []
    unknown = sorted(k for k in config if k not in KNOWN_KEYS_20_10)
    if unknown:
        raise DaemonConfigError(
            "daemon option(s) %s are not known to Docker Engine %s; dockerd would refuse to start"
            % (", ".join(unknown), engine_version))
    return []


def check_values(config):
    """Checks dockerd leaves to start-up time, where a typo costs a running engine."""
    log_opts = config.get("log-opts", {})
    if not isinstance(log_opts, dict):
        raise DaemonConfigError("daemon option log-opts must be a mapping, got %r" % (log_opts,))
    for k, v in log_opts.items():
        if not isinstance(v, str):
            raise DaemonConfigError("daemon option log-opts.%s must be a string (dockerd refuses %r)" % (k, v))
    if "registry-mirrors" in config:
        check_registry_mirrors(config["registry-mirrors"], "daemon option registry-mirrors")
    for key in ("storage-opts", "exec-opts", "dns", "insecure-registries", "labels"):
        if key in config and not isinstance(config[key], list):
            raise DaemonConfigError("daemon option %s must be a list, got %r" % (key, config[key]))
    return config


def changed_keys(new, old):
    """Keys added, removed or changed between two daemon configurations, as 'key=value' for the new ones."""
    out = []
    for key in sorted(set(new) | set(old)):
        if key not in new:
            out.append("%s (removed)" % key)
        elif old.get(key) != new[key]:
            out.append("%s=%s" % (key, json.dumps(new[key])))
    return out
