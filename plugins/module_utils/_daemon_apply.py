# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE: shared by this collection's modules; not a public API, may change without notice.

Decisions of the daemon.json transaction (docker_daemon_config), without side effects.

What the new daemon.json is (sources merged, keys found on the host kept or
dropped), what is refused before anything is written, and how the engine
takes the change: nothing, a reload (SIGHUP), or a restart.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import re
import shlex

from ansible_collections.dockerops.host.plugins.module_utils import _daemon_config as daemon_config

# Keys dockerd applies on SIGHUP, from moby's daemon/reload.go and reload_unix.go
# (Reload: platform runtimes, debug, max-concurrent-*, max-download-attempts,
# shutdown-timeout, labels, registry options, live-restore, network diagnostic
# port), the same list from Engine 20.10 to 28. See Docker's documentation,
# "dockerd: Configuration reload behavior". "features" is reloaded too, but a
# feature such as the containerd image store only takes effect at start: it
# restarts.
RELOADABLE_KEYS = frozenset([
    "debug", "labels", "live-restore", "max-concurrent-downloads", "max-concurrent-uploads",
    "max-download-attempts", "shutdown-timeout", "insecure-registries", "registry-mirrors",
    "allow-nondistributable-artifacts", "runtimes", "default-runtime", "default-shm-size", "default-ipc-mode",
    "network-diagnostic-port",
])

# Keys that move the engine's state: the engine would come up on an empty data
# root or another image store. docker_storage owns the storage keys.
STATE_KEYS = {
    "data-root": "moving the data root is a migration: stop the engine, move /var/lib/docker, then set data-root",
    "userns-remap": "user namespace remapping starts the engine on a new, empty data root under the remapped "
                    "user: plan it as a migration",
    "storage-driver": "the storage driver is set by the dockerops.host.docker_storage role "
                      "(docker_storage_driver), which migrates the images",
}

TLS_KEYS = ("tlscacert", "tlscert", "tlskey")


class DaemonApplyError(ValueError):
    pass


def canonical(config):
    """The bytes written to daemon.json: sorted keys, two-space indent, final newline."""
    return (json.dumps(config, indent=2, sort_keys=True) + "\n").encode("utf-8")


def digest(config):
    return hashlib.sha256(canonical(config)).hexdigest()


def refuse_state_keys(options, current, source="docker_daemon_options"):
    """Refuse a change of a key that moves the engine's state, when it comes from the role's own options."""
    for key in sorted(STATE_KEYS):
        if key in options and options[key] != current.get(key):
            raise DaemonApplyError(
                "%s sets %s to %s (now %s): refused, %s. Nothing was changed."
                % (source, key, json.dumps(options[key]), json.dumps(current.get(key)), STATE_KEYS[key]))


def refuse_insecure_hosts(config, allow_insecure_tcp=False, varname="docker_daemon_allow_insecure_tcp"):
    """A tcp:// listener without TLS client verification is root for anyone who reaches it."""
    hosts = config.get("hosts") or []
    if not isinstance(hosts, list):
        raise DaemonApplyError("daemon option hosts must be a list, got %s" % json.dumps(hosts))
    tcp = [h for h in hosts if isinstance(h, str) and h.startswith("tcp://")]
    if not tcp or allow_insecure_tcp:
        return
    missing = [k for k in TLS_KEYS if not config.get(k)]
    if config.get("tlsverify") is not True or missing:
        raise DaemonApplyError(
            "daemon option hosts listens on %s without TLS client verification: anyone who reaches that port is "
            "root on this host. Set tlsverify: true with %s, or set %s: true to accept the risk. Nothing was "
            "changed." % (", ".join(tcp), ", ".join(TLS_KEYS), varname))


def plan_config(sources, current, managed_before, replace=False):
    """(new config, kept, removed): merge sources; keys found on the host are kept unless ours or replace.

    sources: [(name, dict)] as daemon_config.merge takes them. current: the
    daemon.json on the host. managed_before: the keys this role wrote last time
    (None when unknown). A key of current that no source sets is kept (and
    reported) when the role never managed it, dropped when it did or replace is set.
    """
    merged, _origin = daemon_config.merge(sources)
    managed_before = set(managed_before or [])
    kept, removed = [], []
    new = dict(merged)
    for key in sorted(set(current) - set(merged)):
        if replace or key in managed_before:
            removed.append(key)
        else:
            kept.append(key)
            new[key] = current[key]
    return new, kept, removed


def live_restore(config, swarm_state):
    """(config, message): live-restore off on swarm nodes, where dockerd refuses to start with it."""
    if config.get("live-restore") and swarm_state not in (None, "", "inactive"):
        out = dict(config)
        out["live-restore"] = False
        return out, ("live-restore turned off: this engine is a swarm node (%s), and dockerd does not start with "
                     "live-restore in swarm mode. A restart of this engine stops its containers." % swarm_state)
    return config, None


def changed(new, old):
    """Keys whose value differs between two configurations (added, removed or changed)."""
    return sorted(k for k in set(new) | set(old) if new.get(k) != old.get(k))


def engine_config_guess(recorded, on_disk, started_after_write):
    """What the engine runs with when daemon.json (on_disk) was edited by hand after this module recorded
    what the engine was given (recorded).

    An engine started after the edit runs with the file. Otherwise it runs with what was recorded, except that a
    reload (SIGHUP, `systemctl reload docker`) may have taken the file's reloadable keys: for those the guess is
    the file's value, so that putting them back is a reload (which stops nothing), never "nothing to do" while
    the engine may run with the edit.
    """
    if recorded is None or on_disk == recorded:
        return recorded
    if started_after_write:
        return dict(on_disk)
    guess = dict(recorded)
    for key in RELOADABLE_KEYS:
        if key in on_disk:
            guess[key] = on_disk[key]
        else:
            guess.pop(key, None)
    return guess


def decide(new, applied, engine_answers, force_restart=False, pending_unknown=False):
    """('none'|'reload'|'restart'|'start', keys) for taking new when the engine runs with applied.

    applied: the configuration the engine was last started or reloaded with
    (None when unknown). pending_unknown: the file changed after the engine
    started and what it runs with is unknown: restart.
    """
    if not engine_answers:
        return "start", changed(new, applied or {})
    keys = changed(new, applied if applied is not None else new)
    if force_restart or pending_unknown:
        return "restart", keys
    if not keys:
        return "none", []
    if all(k in RELOADABLE_KEYS for k in keys):
        return "reload", keys
    return "restart", keys


def reload_took_effect(info, config):
    """Keys of a reloaded config that `docker info` does not show yet (empty when all do)."""
    behind = []
    mirrors = [m.rstrip("/") for m in (info.get("RegistryConfig") or {}).get("Mirrors") or []]
    if "registry-mirrors" in config and mirrors != [m.rstrip("/") for m in config["registry-mirrors"]]:
        behind.append("registry-mirrors")
    if "live-restore" in config and bool(info.get("LiveRestoreEnabled")) != bool(config["live-restore"]):
        behind.append("live-restore")
    if "debug" in config and bool(info.get("Debug")) != bool(config["debug"]):
        behind.append("debug")
    if "labels" in config and sorted(info.get("Labels") or []) != sorted(config["labels"]):
        behind.append("labels")
    return behind


# -- the unit's -H fd:// when daemon.json sets hosts ---------------------------------------------------------
# dockerd refuses to start when a directive is given both as a flag and in daemon.json ("the following
# directives are specified both as a flag and in the configuration file: hosts"), and docker.service (Docker
# CE's and Debian's) starts it with -H fd://. dockerd --validate cannot see the flags, so the conflict only
# shows at start. Docker's documentation ("Configure remote access for Docker daemon") clears the unit's
# ExecStart in a drop-in; the module writes that drop-in together with daemon.json, and removes it with hosts.

HOSTS_DROPIN_HEADER = ("# Written by dockerops.host (docker_daemon_config): daemon.json sets hosts, and dockerd\n"
                       "# refuses a listener given both as a flag and in daemon.json. Removed with hosts.\n")
# What the docker CLI on the host (and this module) reach the engine through: the default socket, or the unit's
# socket activation, which listens there.
LOCAL_SOCKETS = ("unix:///var/run/docker.sock", "unix:///run/docker.sock", "fd://")


def _service_entries(text):
    """(key, value) of each setting in the [Service] section of a unit file or drop-in text, in order.

    Backslash-newline continues a line; comments (# and ;) and other sections are skipped.
    """
    section = None
    for line in re.sub(r"\\\n", " ", text).splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, sep, value = line.partition("=")
        if section == "Service" and sep:
            yield key.strip(), value.strip()


def unit_exec_start(texts):
    """The ExecStart= command line systemd runs, from the unit file and its drop-ins, in systemd's order.

    texts: the unit file first, then its drop-ins in the order systemctl show lists them (DropInPaths). An empty
    ExecStart= clears the earlier ones; a service runs one ExecStart (Type=notify), so the last one wins.
    Returns None when no ExecStart is set.
    """
    command = None
    for text in texts:
        for key, value in _service_entries(text):
            if key == "ExecStart":
                command = value or None
    return command


def _systemd_quote(word):
    if word and not re.search(r"[\s'\"\\]", word):
        return word
    return '"%s"' % word.replace("\\", "\\\\").replace('"', '\\"')


def exec_start_without_hosts(command):
    """command without its -H/--host listeners: (new command line, the listeners removed).

    Keeps systemd's prefixes (-, @, +, !, :), the other arguments and unexpanded $VARIABLES as written.
    """
    prefix = re.match(r"^[-@+!:]*", command).group(0)
    words = shlex.split(command[len(prefix):], posix=True)
    kept, removed = [], []
    i = 0
    while i < len(words):
        word = words[i]
        if word in ("-H", "--host") and i + 1 < len(words):
            removed.append(words[i + 1])
            i += 2
            continue
        if word.startswith("--host="):
            removed.append(word[len("--host="):])
        elif word.startswith("-H") and not word.startswith("--"):
            removed.append(word[2:].lstrip("="))
        else:
            kept.append(word)
        i += 1
    return prefix + " ".join(_systemd_quote(w) for w in kept), removed


def sets_exec_start(text):
    """Whether a unit file or drop-in text sets (or clears) ExecStart in its [Service] section."""
    return any(key == "ExecStart" for key, _value in _service_entries(text))


def hosts_dropin(config, exec_start, unit="docker.service", later=()):
    """The drop-in text the unit needs for this daemon.json, or None when it needs none.

    later: drop-ins read after ours that set ExecStart themselves (they would override ours): refused.

    Raises DaemonApplyError when hosts would leave no local socket (the docker CLI on the host, and this module,
    reach the engine through it) or when the unit's ExecStart cannot be found.
    """
    hosts = config.get("hosts") or []
    if not hosts:
        return None
    if not any(isinstance(h, str) and (h in LOCAL_SOCKETS or h.rstrip("/") in LOCAL_SOCKETS) for h in hosts):
        raise DaemonApplyError(
            "daemon option hosts (%s) does not listen on the default socket: the docker CLI on the host and this role "
            "reach the engine through it. Add unix:///var/run/docker.sock (or fd:// for the unit's socket "
            "activation). Nothing was changed." % ", ".join(str(h) for h in hosts))
    if later:
        raise DaemonApplyError(
            "daemon option hosts is set, and %s sets ExecStart after the drop-in that would take the unit's -H flags "
            "out (systemd reads drop-ins in file name order): dockerd would refuse hosts given both as a flag and in "
            "daemon.json. Take -H out of that drop-in's ExecStart. Nothing was changed." % ", ".join(later))
    if exec_start is None:
        raise DaemonApplyError(
            "daemon option hosts is set, but %s has no ExecStart= to take the -H flags out of (dockerd would refuse "
            "hosts given both as a flag and in daemon.json). Nothing was changed." % unit)
    command, removed = exec_start_without_hosts(exec_start)
    if not removed:
        return None
    return "%s[Service]\nExecStart=\nExecStart=%s\n" % (HOSTS_DROPIN_HEADER, command)
