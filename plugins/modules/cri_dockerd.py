#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: cri_dockerd
short_description: Install cri-dockerd (the kubelet's CRI for Docker Engine) from a pinned download, and run it
description:
  - Since Kubernetes 1.24 the kubelet talks to Docker Engine only through cri-dockerd. This module installs its
    binary from O(url), which must match O(checksum), writes its systemd units (C(cri-docker.service) and
    C(cri-docker.socket), the service started by systemd on O(socket)), enables them and starts (or, when the binary
    or a unit changed, restarts) the service.
  - O(url) is the release archive (C(.tgz), the binary found as the one regular file named C(cri-dockerd) in it) or
    the binary itself. Nothing is unpacked or installed until the whole download matches O(checksum); a file that
    is not an ELF executable, an archive with no or several C(cri-dockerd) files, or one whose C(cri-dockerd) is a
    link, is refused.
  - A rerun does not download again while the installed binary is the one this module installed for the same
    O(checksum) (recorded in O(state_file), with the binary's own SHA-256, which is compared with the file on disk).
    The record is written once cri-dockerd has started on that binary and those units, so a run killed between its
    writes and the restart is followed by a rerun that restarts it; with no record, the binary is downloaded again
    and cri-dockerd restarted.
  - When the service does not start after a change, the previous binary and units are put back (and the service
    restarted on them when it ran before), and the module fails with C(systemctl)'s words.
  - Restarting cri-dockerd does not stop a container; the kubelet reconnects to the socket.
version_added: 0.1.0
author: dockerops.host maintainers (@dockerops)
options:
  url:
    description:
      - Where to download cri-dockerd from (C(https://), C(http://) or C(file://)), for example the release archive
        C(cri-dockerd-VERSION.amd64.tgz) on an internal mirror of the project's releases.
      - A C(user:password@) in it is used and never shown.
    type: str
    required: true
  checksum:
    description: The download's SHA-256, as C(sha256:) and 64 hexadecimal digits. Nothing else is accepted.
    type: str
    required: true
  dest:
    description: Where the binary is installed (root's, mode 0755).
    type: path
    default: /usr/local/bin/cri-dockerd
  unit_dir:
    description: Where C(cri-docker.service) and C(cri-docker.socket) are written.
    type: path
    default: /etc/systemd/system
  socket:
    description: The CRI socket the kubelet is given (C(--container-runtime-endpoint unix://SOCKET)).
    type: path
    default: /run/cri-dockerd.sock
  socket_group:
    description: The group that may use O(socket) (mode 0660). Access to it is access to Docker, that is root.
    type: str
    default: docker
  pod_infra_image:
    description: The sandbox (pause) image (C(--pod-infra-container-image)); empty keeps cri-dockerd's default.
    type: str
    default: ""
  network_plugin:
    description: C(--network-plugin); empty leaves the flag out.
    type: str
    choices: [cni, kubenet, ""]
    default: cni
  extra_args:
    description: More C(cri-dockerd) flags, each one C(--name) or C(--name=value) (no spaces, C($) or C(%)).
    type: list
    elements: str
    default: []
  state_file:
    description: The record of what was installed (the pin and the binary's SHA-256), root's, mode 0644.
    type: path
    default: /var/lib/dockerops/cri-dockerd.json
  timeout:
    description: Seconds for the download to answer.
    type: int
    default: 30
attributes:
  check_mode:
    support: full
    description: Says what would be downloaded, written and restarted; downloads and changes nothing.
  diff_mode:
    support: full
    description: The units' text, and the binary's SHA-256 before and after.
notes:
  - Needs systemd as PID 1 and Docker Engine (C(docker.service)).
  - The collection's lab has no cri-dockerd build (the project's releases cannot be reached there), so the download,
    pin and unpacking are tested there, and cri-dockerd itself has never been run by the collection's tests; see the
    README's support matrix.
"""

EXAMPLES = r"""
- name: cri-dockerd from an internal mirror of its releases
  dockerops.host.cri_dockerd:
    url: https://artifacts.example.com/cri-dockerd/cri-dockerd-0.3.20.amd64.tgz
    checksum: "sha256:0000000000000000000000000000000000000000000000000000000000000000"
    pod_infra_image: registry.example.com/pause:3.10
"""

RETURN = r"""
binary_changed:
  description: Whether the binary was (in check mode, would be) installed or replaced.
  returned: always
  type: bool
units_changed:
  description: The units written (in check mode, that would be).
  returned: always
  type: list
  elements: str
restarted:
  description: Whether cri-docker.service was (would be) started or restarted.
  returned: always
  type: bool
binary_sha256:
  description: The installed binary's SHA-256 (in check mode, the one found).
  returned: always
  type: str
socket:
  description: The CRI endpoint to give the kubelet (C(unix://) and O(socket)).
  returned: always
  type: str
"""

import hashlib
import json
import os
import re
import shutil
import stat
import tarfile
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_native
from ansible.module_utils.six.moves.urllib.parse import urlsplit
from ansible.module_utils.urls import open_url
from ansible_collections.dockerops.host.plugins.module_utils import _files
from ansible_collections.dockerops.host.plugins.module_utils.daemon_config import mask_url

SERVICE = "cri-docker.service"
SOCKET = "cri-docker.socket"
_CHECKSUM = re.compile(r"sha256:([0-9a-fA-F]{64})")
_IMAGE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/:@-]*")
_FLAG = re.compile(r"--?[A-Za-z0-9][A-Za-z0-9-]*(=[A-Za-z0-9._/:@,+=-]*)?")
_GROUP = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
_PATH = re.compile(r"/[A-Za-z0-9._/-]*")
# A download larger than this is refused before it fills the disk (a release binary is about 50 MB).
MAX_BYTES = 512 * 1024 * 1024
# Members read from an archive at most (a release archive has two).
MAX_MEMBERS = 1000
ELF = b"\x7fELF"
# Present when systemd is PID 1 (sd_booted).
SYSTEMD_RUN = "/run/systemd/system"


class CriDockerdError(Exception):
    pass


def want_sha256(checksum):
    """The hex digest a 'sha256:<64 hex>' pin names (lower case)."""
    match = _CHECKSUM.fullmatch(checksum.strip())
    if not match:
        raise CriDockerdError("checksum: give sha256: and the download's 64 hexadecimal digits (got %s)"
                              % json.dumps(checksum[:80]))
    return match.group(1).lower()


def check_inputs(p):
    """Every input that goes into a unit or a request, checked before anything is read or written."""
    want_sha256(p["checksum"])
    scheme = urlsplit(p["url"]).scheme
    if scheme not in ("http", "https", "file") or any(c.isspace() for c in p["url"]):
        raise CriDockerdError("url: %s is not an http(s):// or file:// URL" % json.dumps(mask_url(p["url"])))
    for name in ("dest", "socket"):
        if not _PATH.fullmatch(p[name]):
            raise CriDockerdError("%s: %s is not an absolute path of letters, digits and ._-/" % (
                name, json.dumps(p[name])))
    if not _GROUP.fullmatch(p["socket_group"]):
        raise CriDockerdError("socket_group: %s is not a group name" % json.dumps(p["socket_group"]))
    if p["pod_infra_image"] and not _IMAGE.fullmatch(p["pod_infra_image"]):
        raise CriDockerdError("pod_infra_image: %s is not an image reference" % json.dumps(p["pod_infra_image"]))
    for index, arg in enumerate(p["extra_args"]):
        if not _FLAG.fullmatch(arg):
            raise CriDockerdError("extra_args[%d]: %s is not one --name or --name=value (no spaces, $ or %%)" % (
                index, json.dumps(arg)))


def service_unit(p):
    argv = [p["dest"], "--container-runtime-endpoint", "fd://"]
    if p["network_plugin"]:
        argv.append("--network-plugin=" + p["network_plugin"])
    if p["pod_infra_image"]:
        argv.append("--pod-infra-container-image=" + p["pod_infra_image"])
    argv.extend(p["extra_args"])
    return "\n".join([
        "# Written by dockerops.host (cri_dockerd); changes here are overwritten.",
        "[Unit]",
        "Description=CRI for Docker Engine (cri-dockerd)",
        "After=network-online.target docker.service %s" % SOCKET,
        "Wants=network-online.target",
        "Requires=docker.service %s" % SOCKET,
        "",
        "[Service]",
        "Type=notify",
        "ExecStart=" + " ".join(argv),
        "ExecReload=/bin/kill -s HUP $MAINPID",
        "TimeoutStartSec=120",
        "Restart=always",
        "RestartSec=2",
        "Delegate=yes",
        "KillMode=process",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
    ])


def socket_unit(p):
    return "\n".join([
        "# Written by dockerops.host (cri_dockerd); changes here are overwritten.",
        "[Unit]",
        "Description=CRI for Docker Engine (cri-dockerd) socket",
        "PartOf=%s" % SERVICE,
        "",
        "[Socket]",
        "ListenStream=" + p["socket"],
        "SocketMode=0660",
        "SocketUser=root",
        "SocketGroup=" + p["socket_group"],
        "RemoveOnStop=yes",
        "",
        "[Install]",
        "WantedBy=sockets.target",
        "",
    ])


def sha256_file(path):
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    except (IOError, OSError):
        return ""
    return digest.hexdigest()


def read_state(path):
    try:
        with open(path) as f:
            state = json.load(f)
    except (IOError, OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def is_installed(p, state, found_sha256):
    """The binary at dest is the one this module installed for this pin (the record and the file agree)."""
    return bool(found_sha256) and state.get("checksum") == want_sha256(p["checksum"]) \
        and state.get("binary_sha256") == found_sha256


def units_sha256(new):
    return hashlib.sha256(new["socket"] + b"\0" + new["service"]).hexdigest()


def started_on(state, new):
    """cri-dockerd was last started by this module on the binary and units now on disk (the record is written after
    a start): false after a run killed between its writes and the restart, or with no record."""
    return state.get("units_sha256") == units_sha256(new)


def download(url, want, timeout, into):
    """The download written to a file in the directory into, once its SHA-256 is the pin's; else an error."""
    path = os.path.join(into, "download")
    digest = hashlib.sha256()
    size = 0
    try:
        response = open_url(url, timeout=timeout, follow_redirects="safe", use_netrc=False,
                            http_agent="dockerops.host-cri_dockerd")
        with open(path, "wb") as out:
            while True:
                block = response.read(1 << 20)
                if not block:
                    break
                size += len(block)
                if size > MAX_BYTES:
                    raise CriDockerdError("the download from %s is larger than %d bytes; refused" % (
                        mask_url(url), MAX_BYTES))
                digest.update(block)
                out.write(block)
    except CriDockerdError:
        raise
    except Exception as e:  # urllib, ssl and socket errors alike: the message names the URL
        raise CriDockerdError("could not download %s: %s" % (mask_url(url), mask_url(to_native(e))))
    if digest.hexdigest() != want:
        raise CriDockerdError(
            "the download from %s does not match checksum: its SHA-256 is %s, the pin is %s; nothing was installed"
            % (mask_url(url), digest.hexdigest(), want))
    return path


def binary_from(path):
    """The cri-dockerd binary (bytes) in the download: the file itself, or the one file named cri-dockerd in it."""
    with open(path, "rb") as f:
        head = f.read(4)
    if head == ELF:
        with open(path, "rb") as f:
            return f.read()
    try:
        archive = tarfile.open(path, "r:*")
    except (tarfile.TarError, IOError, OSError):
        raise CriDockerdError("the download is neither an ELF executable nor a tar archive")
    with archive:
        found = []
        for count, member in enumerate(archive):
            if count >= MAX_MEMBERS:
                raise CriDockerdError("the archive has more than %d members; refused" % MAX_MEMBERS)
            if os.path.basename(member.name.rstrip("/")) != "cri-dockerd" or member.isdir():
                continue
            if not member.isreg():
                raise CriDockerdError("the archive's %s is a link or a special file, not the binary; refused"
                                      % json.dumps(member.name))
            found.append(member)
        if len(found) != 1:
            raise CriDockerdError("the archive has %d regular files named cri-dockerd (%s); one is needed" % (
                len(found), ", ".join(json.dumps(m.name) for m in found) or "none"))
        if found[0].size > MAX_BYTES:
            raise CriDockerdError("the archive's cri-dockerd is larger than %d bytes; refused" % MAX_BYTES)
        data = archive.extractfile(found[0]).read()
    if data[:4] != ELF:
        raise CriDockerdError("the archive's %s is not an ELF executable" % json.dumps(found[0].name))
    return data


class Systemd(object):
    def __init__(self, module):
        self.module = module
        self.bin = module.get_bin_path("systemctl", required=True)

    def run(self, *args):
        return self.module.run_command([self.bin] + list(args))

    def active(self, unit):
        return self.run("is-active", unit)[0] == 0

    def must(self, *args):
        rc, out, err = self.run(*args)
        if rc != 0:
            raise SystemdError(args, rc, out, err)


class SystemdError(Exception):
    def __init__(self, args, rc, out, err):
        Exception.__init__(self, "systemctl %s failed (rc %d): %s" % (" ".join(args), rc, (err or out).strip()))
        self.rc, self.stdout, self.stderr = rc, out, err


def apply(module, systemd, p, paths, new, old, was_active):
    """Write what differs, then reload, enable and (re)start; on a failed start put the old files back."""
    written = []
    try:
        for key in ("binary", "socket", "service"):
            if new[key] != old[key]:
                _files.write_atomic(module, paths[key], new[key], mode=0o755 if key == "binary" else 0o644)
                written.append(key)
        systemd.must("daemon-reload")
        systemd.must("enable", SOCKET, SERVICE)
        if "socket" in written:
            systemd.must("restart", SOCKET)
        systemd.must("restart", SERVICE)
        wait_socket(p["socket"])
    except (SystemdError, CriDockerdError) as e:
        restore(module, systemd, paths, old, written, was_active, p["socket"])
        module.fail_json(msg="%s; the previous binary and units were put back%s" % (
            to_native(e), " and cri-docker.service restarted on them" if was_active else ""),
            rc=getattr(e, "rc", None), stdout=getattr(e, "stdout", ""), stderr=getattr(e, "stderr", ""))


def wait_socket(path, timeout=30):
    deadline = time.time() + timeout
    while not os.path.exists(path):
        if time.time() > deadline:
            raise CriDockerdError("cri-docker.service is running but %s did not appear in %d s" % (path, timeout))
        time.sleep(0.5)


def restore(module, systemd, paths, old, written, was_active, socket_path):
    if old["service"] is None:  # nothing of cri-dockerd's was here before: take all of it away
        systemd.run("disable", "--now", SOCKET, SERVICE)
        remove_socket(socket_path)
    for key in written:
        if old[key] is None:
            try:
                os.unlink(paths[key])
            except OSError:
                pass
        else:
            _files.write_atomic(module, paths[key], old[key], mode=0o755 if key == "binary" else 0o644)
    systemd.run("daemon-reload")
    if was_active:
        systemd.run("restart", SERVICE)
    elif old["service"] is not None:
        systemd.run("stop", SERVICE)


def remove_socket(path):
    """The socket file a stopped socket unit leaves (systemd removes it only with RemoveOnStop)."""
    try:
        if stat.S_ISSOCK(os.lstat(path).st_mode):
            os.unlink(path)
    except OSError:
        pass


def read_bytes(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except (IOError, OSError):
        return None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            url=dict(type="str", required=True),
            checksum=dict(type="str", required=True),
            dest=dict(type="path", default="/usr/local/bin/cri-dockerd"),
            unit_dir=dict(type="path", default="/etc/systemd/system"),
            socket=dict(type="path", default="/run/cri-dockerd.sock"),
            socket_group=dict(type="str", default="docker"),
            pod_infra_image=dict(type="str", default=""),
            network_plugin=dict(type="str", default="cni", choices=["cni", "kubenet", ""]),
            extra_args=dict(type="list", elements="str", default=[]),
            state_file=dict(type="path", default="/var/lib/dockerops/cri-dockerd.json"),
            timeout=dict(type="int", default=30),
        ),
        supports_check_mode=True,
    )
    p = module.params
    password = urlsplit(p["url"]).password
    if password:
        module.no_log_values.add(password)
    try:
        check_inputs(p)
    except CriDockerdError as e:
        module.fail_json(msg=to_native(e))
    want = want_sha256(p["checksum"])
    paths = dict(binary=p["dest"], socket=os.path.join(p["unit_dir"], SOCKET),
                 service=os.path.join(p["unit_dir"], SERVICE))
    old = dict((key, read_bytes(path)) for key, path in paths.items())
    found_sha256 = sha256_file(p["dest"])
    new = dict(socket=to_bytes(socket_unit(p)), service=to_bytes(service_unit(p)), binary=old["binary"])
    state = read_state(p["state_file"])
    binary_changed = not is_installed(p, state, found_sha256)
    units_changed = [SOCKET if key == "socket" else SERVICE for key in ("socket", "service") if new[key] != old[key]]
    if not os.path.isdir(SYSTEMD_RUN):
        module.fail_json(msg="systemd is not running on this host (no %s): cri-dockerd needs it" % SYSTEMD_RUN)
    systemd = Systemd(module)
    was_active = systemd.active(SERVICE)
    restart = binary_changed or bool(units_changed) or not was_active or not started_on(state, new)
    result = dict(changed=restart, binary_changed=binary_changed, units_changed=units_changed, restarted=restart,
                  binary_sha256=found_sha256, socket="unix://" + p["socket"])
    if module._diff:
        result["diff"] = [dict(before_header=paths[k], after_header=paths[k], before=to_native(old[k] or b""),
                               after=to_native(new[k])) for k in ("socket", "service")]
    if module.check_mode or not restart:
        if module._diff:
            result["diff"].append(dict(before_header=p["dest"], after_header=p["dest"],
                                       before="sha256 %s\n" % (found_sha256 or "(none)"),
                                       after="sha256 %s\n" % (found_sha256 if not binary_changed
                                                              else "of the binary in the download pinned as " + want)))
        module.exit_json(**result)
    if binary_changed:
        tmp = tempfile.mkdtemp(prefix=".dockerops-cri-dockerd-")
        try:
            new["binary"] = binary_from(download(p["url"], want, p["timeout"], tmp))
        except CriDockerdError as e:
            module.fail_json(msg=to_native(e))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        result["binary_changed"] = new["binary"] != old["binary"]
    apply(module, systemd, p, paths, new, old, was_active)
    # Written once cri-dockerd has started on this binary and these units: what a rerun compares with.
    result["binary_sha256"] = hashlib.sha256(new["binary"]).hexdigest()
    _files.write_atomic(module, p["state_file"], to_bytes(json.dumps(dict(
        checksum=want, binary_sha256=result["binary_sha256"], units_sha256=units_sha256(new),
        url=mask_url(p["url"])), sort_keys=True) + "\n"))
    if module._diff:
        result["diff"].append(dict(before_header=p["dest"], after_header=p["dest"],
                                   before="sha256 %s\n" % (found_sha256 or "(none)"),
                                   after="sha256 %s\n" % result["binary_sha256"]))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
