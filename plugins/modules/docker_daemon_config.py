#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: docker_daemon_config
short_description: Change the Docker engine's daemon.json and apply it, with rollback, in one call
description:
  - The whole daemon.json change runs on the host in one module call, so another host's failure cannot stop it
    halfway. The call merges the sources, checks the result, writes it atomically and keeps the previous file.
  - It applies the change the gentlest way that works. Keys dockerd reloads on C(SIGHUP) are reloaded, so no
    container stops. Any other key restarts the engine. When O(options) asks for C(live-restore) and the engine
    does not have it yet, it is first turned on by a reload, so that the restart does not stop containers.
  - If the engine does not answer with a server version after a restart, the module puts back the previous
    daemon.json, the fragments it wrote and the engine's network store, starts the engine again, and fails
    naming the keys and what dockerd said.
  - It records the configuration the engine was last started or reloaded with under O(state_dir). A daemon.json
    that differs from that record is applied on the next run, even if the file itself did not change in that run
    (for example after an aborted play).
  - Keys found in an existing daemon.json that no source sets are kept and reported, unless this module wrote them
    itself last time or O(replace=true).
version_added: 0.2.0
author: dockerops.host maintainers (@dockerops)
options:
  options:
    description: The role's own daemon options (its defaults with the user's options over them).
    type: dict
    default: {}
  options_source:
    description: What O(options) is called in messages.
    type: str
    default: docker_daemon_options
  fragments_dir:
    description:
      - Directory of C(*.json) fragments that other roles leave (docker_storage's storage options), merged after
        O(options). A key two sources set differently is refused, naming both.
      - It and the directory of O(path) are created when missing, and kept owned by root with mode 0755.
    type: path
    default: /etc/docker/dockerops.d
  fragments:
    description:
      - Fragments to write into O(fragments_dir) in this call, as a file name (C(NAME.json), no directory) and its
        options. docker_storage hands its storage options this way, so that the fragment, daemon.json and the
        restart are one change.
      - Each is merged as given and written (root, mode 0644, as indented JSON) only when its text differs. It is
        put back with daemon.json when the engine does not come up with the change, and nothing is written when
        C(dockerd --validate) refuses the result. Fragments on the host that are not named here are read as they
        are.
    type: dict
    default: {}
  path:
    description: The daemon.json to manage.
    type: path
    default: /etc/docker/daemon.json
  state_dir:
    description: Where the record of the applied configuration is kept (root only, mode 0700).
    type: path
    default: /var/lib/dockerops
  replace:
    description: Drop keys of an existing daemon.json that no source sets, instead of keeping them.
    type: bool
    default: false
  allow_insecure_tcp:
    description: Accept a C(tcp://) entry in C(hosts) without C(tlsverify) and its certificates.
    type: bool
    default: false
  force_restart:
    description: Restart even if daemon.json is unchanged, for example because the engine's proxy settings changed.
    type: bool
    default: false
  restart_on_files:
    description:
      - Files the engine reads only at start (its systemd drop-ins, the proxy's EnvironmentFile). Their checksums
        are recorded with the applied configuration; when one differs from the record, the engine is restarted,
        even if the run that changed the file was aborted before the restart.
    type: list
    elements: path
    default: []
  remove_files:
    description:
      - Files the engine reads at start and no longer needs (the proxy's drop-in and its EnvironmentFile, when no
        proxy is set), removed in this call where present, in the order given, and never a directory (a symlink is
        removed as a link). A removal restarts the engine, and the files are put back, as they were, when the
        engine does not come up. Their contents are never shown.
    type: list
    elements: path
    default: []
  hosts_dropin:
    description:
      - The systemd drop-in that takes the unit's C(-H)/C(--host) flags out of C(ExecStart) while daemon.json sets
        C(hosts) (dockerd refuses a listener given both ways). It is written with daemon.json, put back on a
        rollback, and removed when C(hosts) goes. The unit's own file and other drop-ins are never changed.
    type: path
    default: /etc/systemd/system/docker.service.d/dockerops-hosts.conf
  only_hosts_dropin:
    description:
      - Only bring O(hosts_dropin) in line with docker.service and the daemon.json on the host, with a
        C(systemctl daemon-reload), and nothing else (no merge, no restart). The install roles call it after a
        package change replaced the unit (docker.io by docker-ce moves dockerd), before the engine starts.
    type: bool
    default: false
  socket:
    description:
      - The engine's socket, kept owned by root, group C(docker), mode 0660 (as Docker's socket unit makes it) once
        the engine answers. Not looked at when unset, or with O(only_hosts_dropin).
    type: path
  timeout:
    description: Seconds to wait for the engine to answer after a start, restart or reload.
    type: int
    default: 60
attributes:
  check_mode:
    support: full
    description: Computes the new daemon.json and the action (reload or restart, and the keys), and changes nothing.
  diff_mode:
    support: full
    description: >-
      The diff is daemon.json before and after, the O(hosts_dropin) drop-in when it changes, and each fragment of
      O(fragments) that changes.
notes:
  - C(data-root), C(userns-remap) and C(storage-driver) changes through O(options) are refused. They move the
    engine's state, and docker_storage owns the storage keys.
  - A C(tcp://) entry in C(hosts) is refused without TLS client verification unless O(allow_insecure_tcp=true).
  - C(hosts) must keep the default socket (C(unix:///var/run/docker.sock)) or C(fd://); when it is set,
    O(hosts_dropin) is written. A drop-in read after it (by file name) that sets C(ExecStart) is refused.
  - On a swarm node C(live-restore) is turned off, with a message, because dockerd does not start with it there.
seealso:
  - module: community.docker.docker_host_info
"""

EXAMPLES = r"""
- name: Apply registry mirrors and log rotation
  dockerops.host.docker_daemon_config:
    options:
      live-restore: true
      registry-mirrors: [https://mirror.example.com]
      log-driver: json-file
      log-opts: {max-size: 10m, max-file: "3"}
  register: daemon

- name: Say what happened
  ansible.builtin.debug:
    msg: "{{ daemon.action }} ({{ daemon.changed_keys | join(', ') }})"
"""

RETURN = r"""
action:
  description:
    - V(none), V(reloaded), V(restarted), V(started) (the engine was down), V(rolled_back) (only in a failure
      result), V(no_engine) (check mode on a host where no engine is installed yet).
    - In check mode V(would_reload), V(would_restart), V(would_start) or V(none).
  returned: always
  type: str
changed_keys:
  description: Keys whose value changes for the engine.
  returned: always
  type: list
  elements: str
kept_keys:
  description: Keys of the existing daemon.json that no source sets and that were kept.
  returned: always
  type: list
  elements: str
removed_keys:
  description: Keys of the existing daemon.json that were dropped (this module wrote them before, or O(replace)).
  returned: always
  type: list
  elements: str
pending:
  description: The file on the host already differed from what the engine was last started or reloaded with.
  returned: always
  type: bool
containers_before:
  description: Names of the containers running before the change.
  returned: always
  type: list
  elements: str
containers_after:
  description: Names of the containers running after the change.
  returned: when the engine was reloaded or restarted
  type: list
  elements: str
hosts_dropin:
  description: V(written), V(removed) or V(none) for O(hosts_dropin) (in check mode what would be done).
  returned: always
  type: str
files_removed:
  description: Paths of O(remove_files) removed (in check mode, that would be removed).
  returned: always
  type: list
  elements: str
fragments_changed:
  description: Paths of the O(fragments) written (in check mode, that would be written).
  returned: always
  type: list
  elements: str
directories_changed:
  description: O(fragments_dir) and the directory of O(path) where they were created or given root and mode 0755.
  returned: always
  type: list
  elements: str
socket_changed:
  description: O(socket) was given its owner, group or mode (in check mode, would be).
  returned: always
  type: bool
files_changed:
  description: Files of O(restart_on_files) that changed since the engine was last started by this module.
  returned: always
  type: list
  elements: str
config:
  description: The daemon.json the engine runs with after this call.
  returned: always
  type: dict
messages:
  description: What the module decided on the way (live-restore turned off on a swarm node, keys kept).
  returned: always
  type: list
  elements: str
files_not_put_back:
  description:
    - Files this call had changed that could not be put back as they were (a full or read-only file system), each
      with the error. Every other file is still put back and the engine started again. Such a file stays in
      RV(fragments_changed) or RV(files_removed), and the result is changed.
    - A removed file that may name one that could not come back (the proxy's drop-in) stays removed, and the hosts
      drop-in stays as written when daemon.json could not be put back; both are listed here with the reason.
  returned: when a rollback could not put every file back (only in a failure result)
  type: list
  elements: str
"""

import glob
import grp
import hashlib
import json
import os
import shutil
import stat
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dockerops.host.plugins.module_utils import (
    _daemon_json, _docker_engine, _files, _daemon_apply as daemon_apply, _daemon_config as daemon_config)

NETDB = "network/files/local-kv.db"
DIR_MODE = 0o755
FRAGMENT_MODE = 0o644


class Engine(object):
    """The engine on this host, through the docker CLI and systemctl."""

    def __init__(self, module):
        self.module = module
        self.docker = module.get_bin_path("docker")
        self.systemctl = module.get_bin_path("systemctl", required=True)

    def info(self):
        """docker info as a dict when a server version comes back, else None (20.10 exits 0 with ServerErrors)."""
        return _docker_engine.info(self.module, self.docker)[0]

    def running(self):
        rc, out, _err = self.module.run_command([self.docker, "ps", "--format", "{{.Names}}"])
        return sorted(out.split()) if rc == 0 else []

    def wait(self, timeout, until=None):
        deadline = time.time() + timeout
        while True:
            info = self.info()
            if info and (until is None or until(info)):
                return info
            if time.time() >= deadline:
                return info if until is None else None
            time.sleep(1)

    def systemd(self, *args):
        return self.module.run_command([self.systemctl] + list(args))

    def unit_texts(self, skip):
        """docker.service's unit file and drop-ins as (path, text), in systemd's order, without the drop-in skip."""
        rc, out, _err = self.systemd("show", "--property", "FragmentPath", "--property", "DropInPaths",
                                     "docker.service")
        if rc != 0:
            return []
        props = dict(line.partition("=")[::2] for line in out.splitlines())
        paths = ([props["FragmentPath"]] if props.get("FragmentPath") else []) + \
            (props.get("DropInPaths") or "").split()
        texts = []
        for path in paths:
            if os.path.realpath(path) == os.path.realpath(skip) or not os.path.exists(path):
                continue
            with open(path) as f:
                texts.append((path, f.read()))
        return texts

    def journal(self):
        journalctl = self.module.get_bin_path("journalctl")
        if not journalctl:
            return ""
        _rc, out, _err = self.module.run_command([journalctl, "--unit", "docker", "--no-pager", "--lines", "40",
                                                  "--output", "cat"])
        return out

    def validate(self, version, text):
        """dockerd --validate where the engine has it (23.0+): (ok, message)."""
        dockerd = self.module.get_bin_path("dockerd")
        if not dockerd or not version or not daemon_config.has_validate(version):
            return True, ""
        fd, path = tempfile.mkstemp(prefix="daemon-", suffix=".json")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(text)
            rc, out, err = self.module.run_command([dockerd, "--validate", "--config-file", path])
        finally:
            os.unlink(path)
        return rc == 0, (err or out).strip()


def _attributes_differ(path, mode, gid=0):
    """Whether path (followed) is not owned by root and group gid with this mode; False when it is absent."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    return _files.attributes_differ(st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode), mode, gid)


def _read_json(module, path, what):
    try:
        return _daemon_json.load(path, what)
    except _daemon_json.DaemonJsonError as e:
        hint = "" if str(e).startswith("Could not read") else "; fix or remove it"
        module.fail_json(msg="%s%s. Nothing was changed." % (e, hint))


class Transaction(object):
    def __init__(self, module, engine):
        self.module = module
        self.engine = engine
        p = module.params
        self.path = p["path"]
        self.state_path = os.path.join(p["state_dir"], "daemon.json.applied")
        self.dropin = p["hosts_dropin"]
        self.result = dict(changed=False, action="none", changed_keys=[], kept_keys=[], removed_keys=[],
                           pending=False, containers_before=[], files_changed=[], messages=[], hosts_dropin="none",
                           fragments_changed=[], directories_changed=[], socket_changed=False, files_removed=[])
        self.fragments = {}  # path: (bytes on the host or None, bytes wanted), for the fragments given
        self.removals = []  # (path, ("link", target) or ("file", bytes, mode)), for the files to remove
        self.written = False  # the fragments and removals are done (and not put back)
        self.dirs_made = []
        self.missed = []  # (path, why): what a put-back could not put back

    # -- reading ---------------------------------------------------------------------------------------------
    def state(self):
        if not os.path.exists(self.state_path):
            return None
        with open(self.state_path) as f:
            try:
                return json.load(f)
            except ValueError:
                return None

    def engine_started_after_write(self):
        """Whether dockerd started after daemon.json was last written (None when unknown)."""
        rc, out, _err = self.engine.systemd("show", "--property", "MainPID", "--value", "docker.service")
        pid = out.strip() if rc == 0 else ""
        if not pid.isdigit() or pid == "0" or not os.path.exists(self.path):
            return None
        try:
            with open("/proc/%s/stat" % pid) as f:
                start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
            with open("/proc/stat") as f:
                btime = next(int(line.split()[1]) for line in f if line.startswith("btime"))
        except (IOError, OSError, ValueError, IndexError, StopIteration):
            return None
        started = btime + start_ticks / float(os.sysconf("SC_CLK_TCK"))
        return started >= os.stat(self.path).st_mtime - 1

    def sources(self):
        """The role's options, then the fragments in file name order: those given as given, the others as read."""
        p = self.module.params
        sources = [("%s (over the role's defaults)" % p["options_source"], p["options"])]
        given = dict((path, options) for path, options in self.fragment_options)
        for path in sorted(set(glob.glob(os.path.join(p["fragments_dir"], "*.json"))) | set(given)):
            sources.append(("fragment %s" % path, given[path] if path in given
                            else _read_json(self.module, path, "the daemon.json fragment")))
        return sources

    def plan_files(self):
        """The directories to create or fix and the fragments to write; fails naming a bad fragment name."""
        p = self.module.params
        self.fragment_options = []
        for name, options in sorted(p["fragments"].items()):
            if os.path.basename(name) != name or name.startswith(".") or not name.endswith(".json"):
                self.fail("fragments: %r is not a file name ending in .json (no directory). Nothing was changed."
                          % name)
            if not isinstance(options, dict):
                self.fail("fragments: %s is not a dict of daemon options. Nothing was changed." % name)
            path = os.path.join(p["fragments_dir"], name)
            self.fragment_options.append((path, options))
            if os.path.isdir(path):
                self.fail("%s is a directory, not a fragment. Nothing was changed." % path)
            before = None
            if os.path.exists(path):  # a dangling symlink is replaced like an absent file
                with open(path, "rb") as f:
                    before = f.read()
            wanted = (json.dumps(options, indent=4, sort_keys=True, separators=(",", ": ")) + "\n").encode("utf-8")
            if before != wanted or _attributes_differ(path, FRAGMENT_MODE):
                self.fragments[path] = (before, wanted)
        for path in p["remove_files"]:
            if not os.path.lexists(path) or os.path.isdir(path):
                continue
            if os.path.islink(path):
                self.removals.append((path, ("link", os.readlink(path))))
            else:
                with open(path, "rb") as f:
                    self.removals.append((path, ("file", f.read(), stat.S_IMODE(os.stat(path).st_mode))))
        self.result["files_removed"] = [path for path, _was in self.removals]
        if self.removals:
            self.result["messages"].append("restart: removed %s" % ", ".join(self.result["files_removed"]))
        seen = set()
        for directory in (os.path.dirname(self.path), p["fragments_dir"]):
            real = os.path.realpath(directory)
            if real in seen:
                continue
            seen.add(real)
            if os.path.exists(real) and not os.path.isdir(real):
                self.fail("%s is not a directory. Nothing was changed." % directory)
            if not os.path.exists(real) or _attributes_differ(real, DIR_MODE):
                self.result["directories_changed"].append(directory)
        self.result["fragments_changed"] = sorted(self.fragments)
        if self.fragments or self.result["directories_changed"] or self.removals:
            self.result["changed"] = True

    def write_files(self):
        """The directories and fragments plan_files found (not in check mode)."""
        for directory in self.result["directories_changed"]:
            real = os.path.realpath(directory)
            if not os.path.isdir(real):
                try:
                    os.makedirs(real, DIR_MODE)
                except OSError as e:
                    self.fail("Could not create %s: %s" % (directory, e))
            os.chmod(real, DIR_MODE)
            os.chown(real, 0, 0)
            self.dirs_made.append(directory)
        self.written = True
        for path, (_before, wanted) in sorted(self.fragments.items()):
            _files.write_atomic(self.module, path, wanted, mode=FRAGMENT_MODE)
        for path, _was in self.removals:
            try:
                os.unlink(path)
            except OSError as e:
                self.put_back_fragments()
                self.fail("Could not remove %s: %s. %s" % (path, e, self.put_back_said(
                    "The files this call had changed were put back; nothing else was changed.")))

    def put_back_fragments(self):
        """The fragments written and the files removed, as they were before this call, each tried whatever became of
        the others: the ones that could not be, with why."""
        self.written = False
        for path, (before, _wanted) in sorted(self.fragments.items()):
            self.attempt(path, self.put_back, before, path)
        # Back in the reverse order of removal (the proxy's settings, then the drop-in naming them). A file that
        # may name one that could not come back stays removed: a drop-in whose EnvironmentFile is missing would keep
        # the engine from starting.
        lost = None
        for path, was in reversed(self.removals):
            if os.path.lexists(path):
                continue
            if lost:
                self.missed.append((path, "left removed, as %s could not be put back" % lost))
                continue
            if was[0] == "link":
                back = self.attempt(path, os.symlink, was[1], path)
            else:
                back = self.attempt(path, _files.replace, path, was[1], was[2])
            if not back:
                lost = path

    def attempt(self, path, action, *args):
        """action(*args), for a put-back that goes on when one file cannot be put back: whether it was, that file
        noted in self.missed, with why, when not."""
        try:
            action(*args)
        except (IOError, OSError) as e:
            self.missed.append((path, e.strerror or str(e)))
            return False
        return True

    def missed_text(self):
        return "; ".join("%s (%s)" % m for m in self.missed)

    def put_back_said(self, done):
        """The words for a put-back: done when every file is back, else which are not."""
        if not self.missed:
            return done
        return ("The files this call had changed were put back, except %s: put them back by hand."
                % self.missed_text())

    def fragment_diffs(self):
        return [dict(before_header=path, after_header=path, before=(before or b"").decode("utf-8", "replace"),
                     after=wanted.decode("utf-8"))
                for path, (before, wanted) in sorted(self.fragments.items()) if before != wanted]

    # -- applying --------------------------------------------------------------------------------------------
    def file_sums(self):
        sums = {}
        removed = set(path for path, _was in self.removals)
        for path in self.module.params["restart_on_files"] + [self.dropin]:
            if os.path.exists(path) and path not in removed:
                with open(path, "rb") as f:
                    sums[path] = hashlib.sha256(f.read()).hexdigest()
            else:
                sums[path] = None
        return sums

    def record(self, config):
        directory = os.path.dirname(self.state_path)
        if not os.path.isdir(directory):
            os.makedirs(directory, 0o700)
        _files.write_atomic(self.module, self.state_path, json.dumps(
            {"config": config, "managed_keys": self.managed_keys, "files": self.file_sums(),
             "applied_at": int(time.time())}, indent=2, sort_keys=True).encode("utf-8"), mode=0o600)

    def fail(self, msg, **extra):
        self.result.update(extra)
        if not self.written:
            # Nothing planned was written, or it was put back: the result does not claim it. A file that could not
            # be put back is still claimed, and the call has then changed the host.
            stuck = set(path for path, _why in self.missed)
            self.result.update(fragments_changed=[p for p in self.result["fragments_changed"] if p in stuck],
                               files_removed=[p for p in self.result["files_removed"] if p in stuck],
                               directories_changed=list(self.dirs_made))
            self.result["messages"] = [m for m in self.result["messages"] if not m.startswith("restart: removed ")]
            if self.result.get("action") != "rolled_back":
                self.result["changed"] = bool(self.dirs_made or stuck)
        if self.missed:
            self.result["files_not_put_back"] = ["%s (%s)" % m for m in self.missed]
        self.module.fail_json(msg=msg, **self.result)

    def put_back(self, previous_text, path=None):
        """daemon.json (or path) as it was before this call (absent if it was); OSError when it cannot be."""
        path = path or self.path
        if previous_text is None:
            if os.path.exists(path):
                os.unlink(path)
        else:
            _files.replace(path, previous_text)

    def wanted_dropin(self, config):
        """The hosts drop-in's bytes for config (None: no drop-in); raises DaemonApplyError on a refusal."""
        if not config.get("hosts") and not os.path.exists(self.dropin):
            return None
        units = self.engine.unit_texts(self.dropin)
        # systemd reads drop-ins in file name order, whatever their directory: a later one's ExecStart wins.
        later = [path for path, text in units[1:]
                 if os.path.basename(path) > os.path.basename(self.dropin) and daemon_apply.sets_exec_start(text)]
        wanted = daemon_apply.hosts_dropin(config, daemon_apply.unit_exec_start([text for _path, text in units]),
                                           later=later)
        return wanted.encode("utf-8") if wanted is not None else None

    def dropin_diff(self):
        return dict(before_header=self.dropin, after_header=self.dropin,
                    before=(self.dropin_before or b"").decode("utf-8", "replace"),
                    after=(self.dropin_after or b"").decode("utf-8"))

    def read_dropin(self):
        if not os.path.exists(self.dropin):
            return None
        with open(self.dropin, "rb") as f:
            return f.read()

    def snapshot_netdb(self, root):
        src = os.path.join(root, NETDB)
        if os.path.exists(src):
            shutil.copy2(src, src + ".dockerops-previous")
            return src
        return None

    def restart(self, previous_text, new_config, root, how):
        """Restart (or start) on the new file; on failure put back previous_text and the network store."""
        netdb = self.snapshot_netdb(root) if root else None
        # Drop-ins (the proxy's) are read by systemd only on daemon-reload.
        self.engine.systemd("daemon-reload")
        self.engine.systemd("reset-failed", "docker.service")
        if self.dropin_after != self.dropin_before or self.dropin in self.result["files_changed"]:
            # dockerd without -H fd:// replaces the socket file of docker.socket with its own and removes it when it
            # stops: docker.socket must bind its path again before dockerd is started with -H fd:// (and it costs
            # nothing the other way). Stopping the engine first; live-restore keeps the containers running.
            self.engine.systemd("stop", "docker.service")
            self.engine.systemd("restart", "docker.socket")
            how = "start"
        rc, _out, err = self.engine.systemd(how, "docker.service")
        info = self.engine.wait(self.module.params["timeout"]) if rc == 0 else None
        behind = daemon_apply.reload_took_effect(info, new_config) if info else []
        if info and not behind:
            if netdb:
                os.unlink(netdb + ".dockerops-previous")
            return info
        if behind:
            err = "the engine came up without %s" % ", ".join(behind)
        journal = self.engine.journal()
        self.engine.systemd("stop", "docker.socket", "docker.service")
        # Every file is tried, and the engine started again, whatever becomes of the others.
        json_back = self.attempt(self.path, self.put_back, previous_text)
        self.put_back_fragments()
        if self.dropin_after != self.dropin_before:
            # The drop-in goes with daemon.json: hosts in one and -H in the other keep dockerd from starting.
            if not json_back:
                self.missed.append((self.dropin, "left as written, to match %s" % self.path))
            else:
                self.attempt(self.dropin, self.put_back, self.dropin_before, self.dropin)
        if netdb:
            # A rename: no new blocks on a full file system, and the store is never half-written.
            self.attempt(netdb + ".dockerops-previous", os.replace, netdb + ".dockerops-previous", netdb)
        self.engine.systemd("daemon-reload")
        self.engine.systemd("reset-failed", "docker.service", "docker.socket")
        self.engine.systemd("start", "docker.service")
        back = self.engine.wait(self.module.params["timeout"])
        said = [line for line in journal.splitlines()
                if any(w in line.lower() for w in ("failed to start daemon", "level=fatal", "unable to configure",
                                                   "invalid"))]
        put = ("The previous configuration was put back" if not self.missed else
               "The previous configuration was put back, except %s (put them back by hand)" % self.missed_text())
        self.fail("dockerd did not start with the new daemon.json (options changed: %s). dockerd said: %s. %s"
                  % (", ".join(self.shown_changes) or "none",
                     said[-1].strip() if said else (err.strip() or "nothing; see journalctl -u docker"),
                     put + (" and the engine is running again." if back else
                            ", but the engine did not answer again: look at journalctl -u docker.")),
                  action="rolled_back", rolled_back=True, engine_answers=bool(back))

    def reload(self, config):
        rc, _out, err = self.engine.systemd("kill", "--signal=HUP", "--kill-who=main", "docker.service")
        if rc != 0:
            return None, err.strip()
        info = self.engine.wait(self.module.params["timeout"],
                                until=lambda i: not daemon_apply.reload_took_effect(i, config))
        return info, ""

    def refresh_dropin(self):
        """only_hosts_dropin: the drop-in in line with the unit and the daemon.json on the host, nothing else."""
        module = self.module
        current = _read_json(module, self.path, "the existing daemon.json") if os.path.exists(self.path) else {}
        self.dropin_before = self.read_dropin()
        try:
            self.dropin_after = self.wanted_dropin(current)
        except daemon_apply.DaemonApplyError as e:
            self.fail(str(e))
        if self.dropin_after == self.dropin_before:
            return self.result
        self.result.update(changed=True, hosts_dropin="written" if self.dropin_after is not None else "removed")
        if module._diff:
            self.result["diff"] = self.dropin_diff()
        if not module.check_mode:
            if self.dropin_after is None:
                os.unlink(self.dropin)
            else:
                _files.write_atomic(module, self.dropin, self.dropin_after)
            self.engine.systemd("daemon-reload")
        return self.result

    def keep_socket(self, path):
        """The engine's socket root's, group docker, mode 0660 (as Docker's socket unit makes it)."""
        if not os.path.exists(path):
            if self.module.check_mode:
                return  # an engine this call would start
            self.fail("The engine answers, but its socket %s is not there." % path)
        try:
            gid = grp.getgrnam("docker").gr_gid
        except KeyError:
            self.fail("The group docker does not exist, so %s cannot be given to it (the engine packages create it)."
                      % path)
        if not _attributes_differ(path, 0o660, gid):
            return
        self.result.update(changed=True, socket_changed=True)
        self.result["messages"].append("%s set to owner root, group docker, mode 0660" % path)
        if not self.module.check_mode:
            os.chown(path, 0, gid)
            os.chmod(path, 0o660)

    def run(self):
        self.apply()
        p = self.module.params
        if p["socket"] and not p["only_hosts_dropin"] and self.result["action"] != "no_engine":
            self.keep_socket(self.module.params["socket"])
        return self.result

    def apply(self):
        module, p = self.module, self.module.params
        if p["only_hosts_dropin"]:
            return self.refresh_dropin()
        self.plan_files()
        info = self.engine.info()
        answers = info is not None
        if not answers and not (self.engine.docker and module.get_bin_path("dockerd")):
            if module.check_mode:
                # A fresh host in check mode: the install role installed nothing yet.
                self.result["action"] = "no_engine"
                if module._diff and self.fragments:
                    self.result["diff"] = self.fragment_diffs()
                self.result["messages"].append("check mode: no engine is installed yet, so there is no daemon "
                                               "configuration to check")
                return self.result
            self.fail("No Docker engine is installed here (no dockerd): run dockerops.host."
                      "docker_install_ubuntu or docker_install_centos first.")
        version = info.get("ServerVersion") if info else None
        root = info.get("DockerRootDir") if info else None
        previous_text = None
        current = {}
        if os.path.exists(self.path):
            with open(self.path, "rb") as f:
                previous_text = f.read()
            current = _read_json(module, self.path, "the existing daemon.json")
        state = self.state()
        managed_before = state.get("managed_keys") if state else None
        try:
            daemon_apply.refuse_state_keys(p["options"], current, p["options_source"])
            new, kept, removed = daemon_apply.plan_config(self.sources(), current, managed_before, p["replace"])
            new, message = daemon_apply.live_restore(new, ((info or {}).get("Swarm") or {}).get("LocalNodeState"))
            if message:
                self.result["messages"].append(message)
            daemon_apply.refuse_insecure_hosts(new, p["allow_insecure_tcp"])
            self.dropin_before = self.read_dropin()
            self.dropin_after = self.wanted_dropin(new)
            daemon_config.check_values(new)
            if version:
                daemon_config.check_known_keys(new, version)
        except (daemon_apply.DaemonApplyError, daemon_config.DaemonConfigError) as e:
            self.fail(str(e))
        self.managed_keys = sorted(k for k in new if k not in kept)
        if kept:
            self.result["messages"].append(
                "kept keys of the existing daemon.json that no source sets: %s (set replace to drop them)"
                % ", ".join(kept))
        self.result.update(kept_keys=kept, removed_keys=removed, config=new)
        text = daemon_apply.canonical(new)
        # The same settings in another layout are left alone.
        file_changes = previous_text is None or new != current

        # What the engine runs with now, as far as it can be known.
        applied = state.get("config") if state else None
        pending_unknown = False
        if applied is None and answers:
            started_after = self.engine_started_after_write()
            applied = current
            pending_unknown = started_after is False
        elif answers and file_changes and previous_text is not None and applied != current:
            # daemon.json was edited by hand since the last run: the engine may have taken the edit.
            started_after = self.engine_started_after_write()
            applied = daemon_apply.engine_config_guess(applied, current, started_after)
            self.result["messages"].append(
                "daemon.json was changed outside this module since its last run; putting back: %s%s"
                % (", ".join(daemon_apply.changed(new, current)),
                   " (the engine's start time is unknown, so its start-time settings are taken as not changed; "
                   "restart the engine to be sure)" if started_after is None else ""))
        pending = answers and not file_changes and (pending_unknown or (state is not None and applied != new))
        self.result["pending"] = bool(pending)
        files_changed = sorted(path for path, digest in self.file_sums().items()
                               if state is not None and (state.get("files") or {}).get(path) != digest)
        if files_changed:
            self.result["messages"].append("restart: changed since the engine started: %s" % ", ".join(files_changed))
        self.result["files_changed"] = files_changed
        dropin_changes = self.dropin_after != self.dropin_before
        if dropin_changes:
            self.result["hosts_dropin"] = "written" if self.dropin_after is not None else "removed"
            self.result["messages"].append("restart: the drop-in %s %s" % (
                self.dropin, "takes the unit's -H flags out, because daemon.json sets hosts"
                if self.dropin_after is not None else "goes, because daemon.json no longer sets hosts"))
        action, keys = daemon_apply.decide(new, applied, answers,
                                           p["force_restart"] or bool(files_changed) or dropin_changes
                                           or bool(self.removals),
                                           pending_unknown)
        self.result["changed_keys"] = keys
        # For messages: key=value of what changes, as dockerd would name it.
        self.shown_changes = daemon_config.changed_keys(new, applied if applied is not None else current)
        diffs = []
        if module._diff and file_changes:
            diffs.append(dict(before_header=self.path, after_header=self.path,
                              before=(previous_text or b"").decode("utf-8", "replace"), after=text.decode("utf-8")))
        if module._diff and dropin_changes:
            diffs.append(self.dropin_diff())
        if module._diff:
            diffs.extend(self.fragment_diffs())
        if diffs:
            self.result["diff"] = diffs if len(diffs) > 1 else diffs[0]
        if answers:
            self.result["containers_before"] = self.engine.running()
        if action == "none" and not file_changes and not dropin_changes:
            if not module.check_mode:
                # A fragment whose options the engine already runs with (daemon.json set them before).
                self.write_files()
                if answers and (state is None or state.get("files") != self.file_sums()):
                    self.record(new)  # first run of this module on a host in shape: remember it
            return self.result
        self.result["changed"] = True
        if module.check_mode:
            self.result["action"] = "none" if action == "none" else "would_" + action
            return self.result

        ok, said = self.engine.validate(version, text)
        if not ok:
            self.fail("dockerd --validate (Engine %s) refused the new daemon.json (options changed: %s): %s. "
                      "Nothing was changed: the engine keeps running with the previous configuration."
                      % (version, ", ".join(self.shown_changes), said))
        self.write_files()

        if action == "restart" and new.get("live-restore") and info and not info.get("LiveRestoreEnabled"):
            # Turn live-restore on first, by a reload, so that the restart keeps the containers running.
            step = dict(applied or current)
            step["live-restore"] = True
            _files.write_atomic(module, self.path, daemon_apply.canonical(step))
            got, err = self.reload(step)
            if got is None:
                self.attempt(self.path, self.put_back, previous_text)
                self.put_back_fragments()
                self.fail("Turning live-restore on by a reload failed (%s); nothing was restarted. %s"
                          % (err or "the engine did not show live-restore", self.put_back_said(
                              "The previous daemon.json was put back.")))
            self.result["messages"].append("live-restore turned on by a reload before the restart")

        # Read by systemd at the daemon-reload of the restart below; put back with daemon.json on a rollback. The
        # order leaves no moment where a restart would find hosts both in daemon.json and as the unit's flag: the
        # drop-in comes before a daemon.json with hosts, and goes after the one without.
        if dropin_changes and self.dropin_after is not None:
            _files.write_atomic(module, self.dropin, self.dropin_after)
        _files.write_atomic(module, self.path, text)
        if dropin_changes and self.dropin_after is None:
            os.unlink(self.dropin)
        if action == "none":
            self.result["action"] = "none"
        elif action == "reload":
            got, err = self.reload(new)
            if got is not None:
                self.result["action"] = "reloaded"
            else:
                # dockerd refused the reload (Engine 26 refuses an explicit userland-proxy: true on SIGHUP, for
                # one) but may well start with the file: restart, with the rollback a restart has.
                said = [line for line in self.engine.journal().splitlines() if "level=error" in line]
                self.result["messages"].append(
                    "dockerd did not take the reload (%s): restarted instead"
                    % (err or (said[-1].strip() if said else "docker info does not show the new settings")))
                self.restart(previous_text, new, root, "restart")
                self.result["action"] = "restarted"
        else:
            self.restart(previous_text, new, root, "restart" if action == "restart" else "start")
            self.result["action"] = "restarted" if action == "restart" else "started"
        if self.result["action"] != "none":
            self.result["containers_after"] = self.engine.running()
        self.record(new)
        return self.result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            options=dict(type="dict", default={}),
            options_source=dict(type="str", default="docker_daemon_options"),
            fragments_dir=dict(type="path", default="/etc/docker/dockerops.d"),
            fragments=dict(type="dict", default={}),
            path=dict(type="path", default="/etc/docker/daemon.json"),
            state_dir=dict(type="path", default="/var/lib/dockerops"),
            replace=dict(type="bool", default=False),
            allow_insecure_tcp=dict(type="bool", default=False),
            force_restart=dict(type="bool", default=False),
            restart_on_files=dict(type="list", elements="path", default=[]),
            remove_files=dict(type="list", elements="path", default=[]),
            hosts_dropin=dict(type="path", default="/etc/systemd/system/docker.service.d/dockerops-hosts.conf"),
            only_hosts_dropin=dict(type="bool", default=False),
            socket=dict(type="path"),
            timeout=dict(type="int", default=60),
        ),
        supports_check_mode=True,
    )
    result = Transaction(module, Engine(module)).run()
    module.exit_json(**result)


if __name__ == "__main__":
    main()
