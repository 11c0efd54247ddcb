# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Build and check /etc/docker/daemon.json from several sources.

Sources are merged in order; a key two sources set to different values is a
conflict and is refused, naming the key and both sources, so no source's
setting is ever dropped silently.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

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

# CIS Docker Benchmark section 2, the opt-in hardening.
CIS_HARDENING = {
    "live-restore": True,        # 2.15: containers survive an engine restart
    "userland-proxy": False,     # 2.16: hairpin NAT instead of docker-proxy
    "no-new-privileges": True,   # 2.14
    "icc": False,                # 2.2: no traffic between containers on the default bridge
}


class DaemonConfigError(ValueError):
    pass


def check_registry_mirrors(mirrors, varname="registry_mirrors"):
    if not isinstance(mirrors, list):
        raise DaemonConfigError("%s must be a list of URLs, got %r" % (varname, mirrors))
    for url in mirrors:
        if not isinstance(url, str) or not re.match(r"^https?://[^/\s]+(/\S*)?$", url):
            raise DaemonConfigError("%s: %r is not an http:// or https:// URL" % (varname, url))
    return mirrors


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


def version_tuple(version):
    m = re.match(r"^(\d+)\.(\d+)(?:\.(\d+))?", str(version or ""))
    if not m:
        raise DaemonConfigError("cannot read an engine version from %r" % (version,))
    return tuple(int(x or 0) for x in m.groups())


def has_validate(engine_version):
    """`dockerd --validate` exists from Engine 23.0 on."""
    return version_tuple(engine_version) >= (23, 0, 0)


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
        check_registry_mirrors(config["registry-mirrors"], "registry-mirrors")
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
