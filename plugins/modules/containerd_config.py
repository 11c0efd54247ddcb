#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: containerd_config
short_description: containerd's CRI plugin for Kubernetes, merged into config.toml and applied, with rollback, in one call
description:
  - Makes containerd what the kubelet needs, in one module call. The CRI plugin is turned on (Docker's
    C(containerd.io) ships C(disabled_plugins = ["cri"])). runc uses the systemd cgroup driver (C(SystemdCgroup)).
    The sandbox (pause) image is set when O(sandbox_image) is given. The registry configuration directory
    (C(config_path)) points at O(certs_dir), where each registry of O(registry_mirrors) gets a C(hosts.toml).
  - The layout follows the host's containerd (C(containerd --version)) and the file's C(version). containerd 1.x
    reads config version 2 (plugin C(io.containerd.grpc.v1.cri)). containerd 2.x reads version 3
    (C(io.containerd.cri.v1.runtime), C(io.containerd.cri.v1.images)) and converts a version 2 file itself.
  - The file is edited, never rewritten whole. Only these keys change; every other setting and comment stays.
    Where that cannot be done safely, for example inline tables, dotted keys, registry C(mirrors) or another
    C(config_path), the module refuses, naming the file and the key, and changes nothing.
  - Before the new file is installed, containerd itself reads it (C(containerd --config NEWFILE config dump), on a
    temporary copy beside O(path)); where containerd refuses it (not TOML, a value of the wrong type) the module
    fails with containerd's words and changes nothing.
  - The previous file is kept as a backup. containerd is restarted when the file changed, or when the running
    containerd does not have it yet (C(ctr plugins ls) shows its CRI plugin missing or not C(ok), or it started
    before the file was written). When C(ctr plugins ls) fails and the file is already right, containerd is not
    restarted (a message says why), so that such a host is not restarted on every run.
    Docker's containers keep running, because their shims outlive containerd.
  - After the restart, C(ctr plugins ls) must show the CRI plugin C(ok) and C(containerd config dump) the settings.
    Otherwise the previous files are put back, containerd is restarted on them, and the module fails with
    what containerd said.
  - The last config.toml containerd was seen running on is kept beside it, as C(.config.toml.dockerops-good)
    (root's, mode 0600 from its creation). It is saved when a call that changes something starts on a containerd
    known to run on the file it finds (C(ctr plugins ls) answers, containerd started after the file was written,
    and the CRI plugin is C(ok) or not there), and after each restart that passed the checks.
  - A call that starts where containerd is known not to run on the file it finds puts that copy back on failure,
    keeping the file it found as a backup. That is the case when C(ctr plugins ls) gets no answer, when containerd
    started before the file was written, or when its CRI plugin failed. A controller killed between writing the
    file and checking the restart leaves such a host. Where containerd does not answer and last ran on another
    file, it is restarted to find out only when its unit failed (or keeps restarting), not when it was stopped.
version_added: 0.2.0
author: dockerops.host maintainers (@dockerops)
options:
  path:
    description: containerd's configuration file.
    type: path
    default: /etc/containerd/config.toml
  certs_dir:
    description: The registry configuration directory (C(config_path)); each mirrored registry gets C(REGISTRY/hosts.toml) in it.
    type: path
    default: /etc/containerd/certs.d
  systemd_cgroup:
    description: C(SystemdCgroup) for the runc runtime (the kubelet's cgroup driver must match).
    type: bool
    default: true
  sandbox_image:
    description: The sandbox (pause) image, for example V(registry.k8s.io/pause:3.10). Empty keeps what the file or containerd has.
    type: str
    default: ""
  registry_mirrors:
    description:
      - Registry (host[:port], or V(_default) for all) to the mirror URLs to pull from, in order, before the registry itself.
      - A C(hosts.toml) this module wrote for a registry no longer listed is removed; one it did not write is refused.
    type: dict
    default: {}
  timeout:
    description: Seconds to wait for containerd's CRI plugin after a restart.
    type: int
    default: 60
attributes:
  check_mode:
    support: full
    description: Computes the new files and whether containerd restarts, and changes nothing.
  diff_mode:
    support: full
    description:
      - The diff is config.toml before and after, and each hosts.toml that changes.
      - The values of keys that may hold credentials (any key whose name contains C(password), C(auth), C(token),
        C(secret) or C(username), such as a registry's C(auth) table) are shown as C("<redacted>") in both texts.
notes:
  - Needs Python 3.11 (C(tomllib)) or the C(tomli) package on the host to read the file.
"""

EXAMPLES = r"""
- name: containerd for the kubelet, with a mirror for Docker Hub
  dockerops.host.containerd_config:
    sandbox_image: registry.k8s.io/pause:3.10
    registry_mirrors:
      docker.io: ["https://mirror.example.com"]
  register: containerd
"""

RETURN = r"""
action:
  description: V(none), V(restarted); in check mode V(would_restart); V(no_containerd) in check mode where containerd is not installed yet.
  returned: always
  type: str
version:
  description: containerd's version (major.minor).
  returned: when containerd is installed
  type: str
config_version:
  description: The config version of the file (2 or 3).
  returned: when containerd is installed
  type: int
changed_keys:
  description: "Each setting that changes, as C(key: before -> after)."
  returned: always
  type: list
  elements: str
hosts_files:
  description: The C(hosts.toml) files written or removed.
  returned: always
  type: list
  elements: str
backup_file:
  description: The previous config.toml.
  returned: when the file was changed, or replaced by the last good copy
  type: str
last_good:
  description: The copy of the last config.toml containerd was seen running on, where this call saved or restored it.
  returned: when saved or restored
  type: str
  sample: /etc/containerd/.config.toml.dockerops-good
restored:
  description: What the failed call put back as config.toml, V(previous) (the file it found) or V(last_good).
  returned: when the call failed after a restart
  type: str
cri:
  description: The CRI plugin's status in C(ctr plugins ls) after this call (before it in check mode).
  returned: when containerd is installed
  type: str
messages:
  description: Why containerd was restarted, or why it was not although its CRI plugin's status could not be read.
  returned: always
  type: list
  elements: str
"""

import os
import re
import stat
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dockerops.host.plugins.module_utils import _containerd, _files


_USERINFO = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*://)?(.*)@")


def _url_secrets(mirrors):
    """The user:password parts of the mirror URLs given (with a scheme or without), and their passwords, to mask
    everywhere in the result."""
    found = set()
    for urls in mirrors.values():
        for url in urls if isinstance(urls, list) else [urls]:
            m = _USERINFO.match(url) if isinstance(url, str) else None
            userinfo = m.group(1) if m else ""
            found.update((userinfo, userinfo.partition(":")[2]))
    return found - set([""])


class Containerd(object):
    """containerd on this host, through its own binary, ctr and systemctl."""

    def __init__(self, module):
        self.module = module
        self.containerd = module.get_bin_path("containerd")
        self.ctr = module.get_bin_path("ctr")
        self.systemctl = module.get_bin_path("systemctl", required=True)
        self.timeout = module.get_bin_path("timeout")

    def run(self, argv):
        if self.timeout:
            argv = [self.timeout, "30"] + argv
        return self.module.run_command(argv, environ_update={"LANG": "C"})

    def version(self):
        rc, out, err = self.run([self.containerd, "--version"])
        if rc != 0:
            self.module.fail_json(msg="containerd --version failed", rc=rc, stdout=out, stderr=err)
        try:
            return _containerd.parse_version(out)
        except _containerd.ContainerdError as e:
            self.module.fail_json(msg=str(e), rc=rc, stdout=out, stderr=err)

    def cri(self):
        """(status of the CRI row or None, rc, stderr) of ctr plugins ls."""
        if not self.ctr:
            return None, 127, "ctr not found"
        rc, out, err = self.run([self.ctr, "plugins", "ls"])
        return (_containerd.cri_status(out) if rc == 0 else None), rc, err

    def dump(self):
        return self.run([self.containerd, "config", "dump"])

    def validate(self, path, content, mode):
        """(rc, stdout, stderr) of `containerd --config NEWFILE config dump` on content, written to a temporary
        file beside path (so that relative imports resolve as for path), removed afterwards. containerd 1.6 and 2.1
        exit 1 on a file that is not TOML or holds a value of the wrong type; 2.1 dumps its defaults when the file
        does not exist, so the file is always written first."""
        directory = os.path.dirname(path)
        if not os.path.isdir(directory):
            directory = self.module.tmpdir
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".%s." % os.path.basename(path), suffix=".check")
        try:
            os.fchmod(fd, mode)
            os.write(fd, content)
            os.close(fd)
            return self.run([self.containerd, "--config", tmp, "config", "dump"])
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    def systemd(self, *args):
        return self.module.run_command([self.systemctl] + list(args))

    def unit_state(self):
        """systemctl is-active containerd.service: active, inactive (stopped), failed, activating..."""
        _rc, out, _err = self.systemd("is-active", "containerd.service")
        return out.strip() or "unknown"

    def started_before(self, path):
        """Whether containerd's main process started before path was last written (None when unknown)."""
        rc, out, _err = self.systemd("show", "--property", "MainPID", "--value", "containerd.service")
        pid = out.strip() if rc == 0 else ""
        if not pid.isdigit() or pid == "0" or not os.path.exists(path):
            return None
        try:
            with open("/proc/%s/stat" % pid) as f:
                start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
            with open("/proc/stat") as f:
                btime = next(int(line.split()[1]) for line in f if line.startswith("btime"))
        except (IOError, OSError, ValueError, IndexError, StopIteration):
            return None
        started = btime + start_ticks / float(os.sysconf("SC_CLK_TCK"))
        return started < os.stat(path).st_mtime - 1

    def journal(self):
        journalctl = self.module.get_bin_path("journalctl")
        if not journalctl:
            return ""
        _rc, out, _err = self.module.run_command([journalctl, "--unit", "containerd", "--no-pager", "--lines", "20",
                                                  "--output", "cat"])
        return out

    def wait_cri(self, seconds):
        deadline = time.time() + seconds
        while True:
            status, rc, err = self.cri()
            if status == "ok" or time.time() >= deadline:
                return status, rc, err
            time.sleep(1)


def good_path(path):
    """Where the last config.toml containerd was seen running on is kept: beside it, hidden."""
    directory, name = os.path.split(path)
    return os.path.join(directory, ".%s.dockerops-good" % name)


def read(path):
    if not os.path.exists(path):
        return None
    with open(path, "rb") as f:
        return f.read()


def mode_of(path):
    """path's permission bits, to keep them when it is rewritten (a 0600 config.toml may hold registry
    credentials); 0644 for a new file."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except (IOError, OSError):
        return 0o644


class Transaction(object):
    def __init__(self, module, containerd):
        self.module = module
        self.c = containerd
        self.result = dict(changed=False, action="none", changed_keys=[], hosts_files=[], messages=[])
        self.modes = {}

    def fail(self, msg, **extra):
        self.result.update(extra)
        self.module.fail_json(msg=msg, **self.result)

    def hosts_plan(self):
        """[(path, before bytes or None, after bytes or None)] of the hosts.toml files that change."""
        p = self.module.params
        out = []
        for registry, urls in sorted(p["registry_mirrors"].items()):
            path = os.path.join(p["certs_dir"], registry, "hosts.toml")
            before = read(path)
            after = _containerd.hosts_toml(registry, urls).encode("utf-8")
            if before is not None and before != after and not before.startswith(b"# Managed by dockerops.host"):
                self.fail("%s exists and was not written by this module: merge the mirrors for %s into it by hand, or "
                          "remove it. Nothing was changed." % (path, registry))
            if before != after:
                out.append((path, before, after))
        if os.path.isdir(p["certs_dir"]):
            for registry in sorted(os.listdir(p["certs_dir"])):
                path = os.path.join(p["certs_dir"], registry, "hosts.toml")
                before = read(path)
                if registry not in p["registry_mirrors"] and before and before.startswith(
                        (_containerd.MANAGED % registry).encode("utf-8")):
                    out.append((path, before, None))
        return out

    def save_good(self, content):
        """Keep content as the last config.toml containerd ran on, root's and 0600 from its creation on (it may hold
        registry credentials): a temporary file of mkstemp's (0600) renamed over it."""
        path = good_path(self.module.params["path"])
        self.result["last_good"] = path
        try:
            if read(path) == content:
                return
        except (IOError, OSError):
            pass  # not a readable file: written over below, or the write fails naming it
        fd, tmp = tempfile.mkstemp(prefix=".dockerops-", dir=os.path.dirname(path))
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(content)
                f.flush()
                os.fsync(f.fileno())
            os.chown(tmp, 0, 0)
            os.rename(tmp, path)
        except (IOError, OSError) as e:
            if os.path.exists(tmp):
                os.unlink(tmp)
            self.fail("Could not write %s: %s" % (path, e))

    def restore_plan(self, files, not_on_it, before):
        """What to put back: the files found, except that config.toml is the last good copy when containerd is known
        not to run on the file found (a run killed between its write and its check left it there). The file found is
        then kept as a backup first: nothing is lost."""
        path = self.module.params["path"]
        good = read(good_path(path)) if not_on_it and before is not None else None
        if good is None or good == before:
            self.result["restored"] = "previous"
            return files
        if "backup_file" not in self.result:
            self.result["backup_file"] = self.module.backup_local(path)
        self.result.update(restored="last_good", last_good=good_path(path))
        return [(f, b, a) for f, b, a in files if f != path] + [(path, good, None)]

    def put_back(self, files):
        for path, before, _after in files:
            if before is None:
                if os.path.exists(path):
                    os.unlink(path)
            else:
                _files.write_atomic(self.module, path, before, mode=self.modes.get(path, 0o644))

    def run(self):
        module, p = self.module, self.module.params
        # A mirror URL with user:password@ is refused (check_mirrors), its password masked in the message; it is also
        # kept out of every result's invocation (module_args), which Ansible prints at -vvv.
        module.no_log_values.update(_url_secrets(p["registry_mirrors"]))
        if not self.c.containerd:
            if module.check_mode:
                self.result["action"] = "no_containerd"
                self.result["messages"].append("check mode: containerd is not installed yet, so there is no "
                                               "configuration to check")
                return self.result
            module.fail_json(msg="containerd is not installed here (no containerd binary): install the engine first "
                                 "(dockerops.host.docker_install_ubuntu or docker_install_centos).", **self.result)
        try:
            _containerd.check_mirrors(p["registry_mirrors"])
        except _containerd.ContainerdError as e:
            self.fail(str(e))
        major, minor = self.c.version()
        self.result["version"] = "%d.%d" % (major, minor)
        before = read(p["path"])
        try:
            text = (before or b"").decode("utf-8")
        except UnicodeDecodeError as e:
            self.fail("%s is not valid UTF-8 (%s): fix it first. Nothing was changed." % (p["path"], e))
        try:
            planned = _containerd.plan(text, major, p["path"], p["systemd_cgroup"], p["sandbox_image"],
                                       p["certs_dir"])
        except _containerd.ContainerdError as e:
            self.fail(str(e))
        after = planned["text"].encode("utf-8")
        self.result.update(config_version=planned["version"], changed_keys=planned["changes"])
        files = [(p["path"], before, after)] if after != before else []
        hosts = self.hosts_plan()
        files += hosts
        self.result["hosts_files"] = [path for path, _b, _a in hosts]

        status, cri_rc, cri_err = self.c.cri()
        self.result["cri"] = status
        config_changed = bool(planned["changes"]) or (before is not None and after != before)
        restart, why = _containerd.restart_reason(
            config_changed, status, cri_rc, cri_err,
            not config_changed and cri_rc == 0 and status == "ok" and before is not None
            and self.c.started_before(p["path"]), p["path"])
        if not restart and cri_rc != 0 and before is not None and read(good_path(p["path"])) not in (None, before):
            # containerd does not answer and last ran on another file. Failed (or restarting over and over) on this
            # one: a run killed between its write and its check; the restart tells whether it comes up on it, or the
            # last good one is put back. Stopped (inactive): someone stopped it, and it is left so.
            state = self.c.unit_state()
            if state in ("failed", "activating"):
                restart, why = True, ("restart: containerd does not answer (ctr plugins ls: %s; the unit is %s) and "
                                      "last ran on %s, not on %s: an earlier run was interrupted" % (
                                          cri_err.strip() or "exit status %d" % cri_rc, state, good_path(p["path"]),
                                          p["path"]))
        if why:
            self.result["messages"].append(why)
        if module._diff and files:
            diffs = [dict(before_header=path, after_header=path,
                          before=_containerd.redact((b or b"").decode("utf-8", "replace")),
                          after=_containerd.redact((a or b"").decode("utf-8"))) for path, b, a in files]
            self.result["diff"] = diffs if len(diffs) > 1 else diffs[0]
        if not files and not restart:
            return self.result
        self.result["changed"] = True
        if module.check_mode:
            self.result["action"] = "would_restart" if restart else "none"
            return self.result

        self.modes = dict((path, mode_of(path)) for path, _b, _a in files)
        self.modes.setdefault(p["path"], mode_of(p["path"]))
        if after != before:
            rc, _out, err = self.c.validate(p["path"], after, self.modes.get(p["path"], 0o644))
            if rc != 0:
                self.fail(_containerd.refused(rc, err, p["path"]), rc=rc, stderr=err, changed=False, action="none")
        # What is known of the file found. containerd runs on it: ctr answers, containerd started after it was
        # written, and the CRI plugin is ok or not there at all (a file that turns it off, as Docker's does); it is
        # then the last good. containerd does not run on it: ctr gets no answer, containerd started before it was
        # written, or its CRI plugin failed; the last good copy is then what goes back on failure. Otherwise (the
        # start time unknown) neither: the file found goes back.
        started_before = self.c.started_before(p["path"]) if cri_rc == 0 and before is not None else None
        if cri_rc == 0 and before is not None and started_before is False and status in ("ok", None):
            self.save_good(before)
        not_on_it = cri_rc != 0 or started_before is True or status not in ("ok", None)
        if after != before and before is not None:
            self.result["backup_file"] = module.backup_local(p["path"])
        for path, _b, a in files:
            if a is None:
                os.unlink(path)
            else:
                _files.write_atomic(module, path, a, mode=self.modes[path])
        if not restart:
            return self.result
        rc, _out, err = self.c.systemd("restart", "containerd.service")
        status, cri_rc, cri_err = self.c.wait_cri(p["timeout"]) if rc == 0 else (None, rc, err)
        problems = []
        if status == "ok":
            drc, dump, derr = self.c.dump()
            if drc != 0:
                problems.append("containerd config dump failed: %s" % (derr.strip() or "exit status %d" % drc))
            else:
                try:
                    problems = _containerd.check_dump(dump, major, p["systemd_cgroup"], p["sandbox_image"],
                                                      p["certs_dir"], planned["runtime_type"])
                except _containerd.ContainerdError as e:
                    problems.append(str(e))
        if status == "ok" and not problems:
            self.save_good(after)
            self.result.update(action="restarted", cri=status)
            return self.result
        said = [line.strip() for line in self.c.journal().splitlines()
                if "level=error" in line or "level=fatal" in line or "failed" in line.lower()]
        files = self.restore_plan(files, not_on_it, before)
        self.put_back(files)
        self.c.systemd("reset-failed", "containerd.service")
        self.c.systemd("restart", "containerd.service")
        back, back_rc, _berr = self.c.wait_cri(p["timeout"])
        why = ("systemctl restart containerd failed: %s" % err.strip() if rc != 0 else
               "; ".join(problems) if status == "ok" else
               "its CRI plugin is %s after %ds (ctr plugins ls%s)" % (
                   status or ("unreadable" if cri_rc else "not loaded"), p["timeout"],
                   ": " + cri_err.strip() if cri_err.strip() else ""))
        self.fail("containerd did not take the new configuration (%s): %s. containerd said: %s. %s put back and "
                  "containerd restarted on them (CRI plugin now %s)."
                  % (", ".join(planned["changes"]) or "hosts.toml", why, said[-1] if said else "nothing",
                     "The previous files were" if self.result["restored"] == "previous" else
                     "The last config.toml containerd ran on (%s) and the previous hosts.toml files were"
                     % good_path(p["path"]),
                     back or ("unreadable" if back_rc else "not loaded")),
                  action="rolled_back", rc=rc if rc != 0 else cri_rc, stderr=err if rc != 0 else cri_err)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", default="/etc/containerd/config.toml"),
            certs_dir=dict(type="path", default="/etc/containerd/certs.d"),
            systemd_cgroup=dict(type="bool", default=True),
            sandbox_image=dict(type="str", default=""),
            registry_mirrors=dict(type="dict", default={}),
            timeout=dict(type="int", default=60),
        ),
        supports_check_mode=True,
    )
    result = Transaction(module, Containerd(module)).run()
    module.exit_json(**result)


if __name__ == "__main__":
    main()
