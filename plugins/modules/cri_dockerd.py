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
    the binary itself. Nothing is unpacked or installed until the whole download (as sent, never decompressed on the
    way) matches O(checksum); a file that is not an ELF executable for this host's architecture, an archive with no
    or several C(cri-dockerd) files, or one whose C(cri-dockerd) is a link, is refused.
  - It does not take over a cri-dockerd it did not install. Before anything is downloaded it refuses a
    C(cri-docker.service) loaded from another file (a package's, for example), a unit in O(unit_dir) or a file at
    O(dest) it did not write, and an existing O(socket) path that is not its own socket (Docker's or containerd's
    socket paths are refused outright); a drop-in overriding its service unit is reported as a warning.
  - A rerun does not download again while the installed binary is the one this module installed for the same
    O(checksum) (recorded in O(state_file), with the binary's own SHA-256, which is compared with the file on disk).
    The record is written once cri-dockerd has started on that binary and those units, so a run killed between its
    writes and the restart is followed by a rerun that restarts it; with no record, the binary is downloaded again
    and cri-dockerd restarted.
  - When the service does not start after a change, the files this run rewrote are put back (a first install is
    disabled and removed) and the service restarted on them when it ran before; the module fails with C(systemctl)'s
    words and says how the rollback went.
  - A unit found disabled, or a service found stopped, is enabled or started again.
  - Restarting cri-dockerd does not stop a container; the kubelet reconnects to the socket.
version_added: 0.1.0
author: dockerops.host maintainers (@dockerops)
options:
  url:
    description:
      - Where to download cri-dockerd from (C(https://), C(http://) or C(file://)), for example the release archive
        C(cri-dockerd-VERSION.amd64.tgz) on an internal mirror of the project's releases.
      - Credentials in it (C(user:password@)) are refused; give O(url_username) and O(url_password).
    type: str
    required: true
  url_username:
    description: The user name for HTTP basic authentication to O(url).
    type: str
  url_password:
    description: The password (or token) for HTTP basic authentication to O(url); never shown.
    type: str
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
    description:
      - More C(cri-dockerd) flags, each one C(--name) or C(--name=value) (no spaces, C($) or C(%)).
      - The flags the module sets itself (C(--container-runtime-endpoint), C(--network-plugin),
        C(--pod-infra-container-image)) are refused here.
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
import tarfile
import tempfile
import zlib

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_native
from ansible.module_utils.six.moves.urllib.parse import urlsplit
from ansible.module_utils.urls import open_url
from ansible_collections.dockerops.host.plugins.module_utils._daemon_config import mask_url

SERVICE = "cri-docker.service"
SOCKET = "cri-docker.socket"
# The first line of every file the module writes: a unit without it is someone else's.
MARK = "# Written by dockerops.host (cri_dockerd); changes here are overwritten."
_CHECKSUM = re.compile(r"sha256:([0-9a-fA-F]{64})")
_IMAGE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/:@-]*")
_FLAG = re.compile(r"--?[A-Za-z0-9][A-Za-z0-9-]*(=[A-Za-z0-9._/:@,+=-]*)?")
_GROUP = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
_PATH = re.compile(r"/[A-Za-z0-9._-][A-Za-z0-9._/-]*[A-Za-z0-9._-]")
# Flags the module sets itself: from extra_args they would take the socket or the plugin out of its hands.
OWN_FLAGS = ("--container-runtime-endpoint", "--network-plugin", "--pod-infra-container-image")
# Other daemons' sockets, never a CRI socket for cri-dockerd (systemd would unlink and take them).
FOREIGN_SOCKETS = ("docker.sock", "containerd.sock", "dockershim.sock", "crio.sock")
# A download larger than this is refused before it fills the disk (a release binary is about 50 MB).
MAX_BYTES = 512 * 1024 * 1024
# Members read from an archive at most (a release archive has two).
MAX_MEMBERS = 1000
ELF = b"\x7fELF"
# ELF e_machine of each machine (uname -m) Docker Engine is built for.
E_MACHINE = {"x86_64": 62, "aarch64": 183, "armv7l": 40, "ppc64le": 21, "s390x": 22}
# Present when systemd is PID 1 (sd_booted).
SYSTEMD_RUN = "/run/systemd/system"


class CriDockerdError(Exception):
    def __init__(self, msg, rc=None, stdout="", stderr=""):
        Exception.__init__(self, msg)
        self.rc, self.stdout, self.stderr = rc, stdout, stderr


def want_sha256(checksum):
    """The hex digest a 'sha256:<64 hex>' pin names (lower case)."""
    match = _CHECKSUM.fullmatch(checksum.strip())
    if not match:
        raise CriDockerdError("checksum: give sha256: and the download's 64 hexadecimal digits (got %s)"
                              % json.dumps(checksum[:80]))
    return match.group(1).lower()


def check_url(url):
    try:
        parts = urlsplit(url)
        scheme, userinfo = parts.scheme, "@" in (parts.netloc or "")
    except ValueError:
        scheme, userinfo = "", False
    if scheme not in ("http", "https", "file") or any(c.isspace() for c in url):
        raise CriDockerdError("url: %s is not an http(s):// or file:// URL" % json.dumps(mask_url(url)))
    if userinfo:
        raise CriDockerdError("url: %s carries credentials; give them as url_username and url_password, which are "
                              "never shown" % json.dumps(mask_url(url)))


def url_secrets(url):
    """The user name and password parts of a URL's user:password@ (either may be a token)."""
    try:
        netloc = urlsplit(url).netloc
    except ValueError:
        netloc = url.partition("://")[2].partition("/")[0]
    userinfo = netloc.rpartition("@")[0]
    return set(part for part in userinfo.split(":", 1) if len(part) > 2) if userinfo else set()


def check_inputs(p):
    """Every input that goes into a unit or a request, checked before anything is read or written."""
    want_sha256(p["checksum"])
    check_url(p["url"])
    for name in ("dest", "socket"):
        if not _PATH.fullmatch(p[name]) or "/../" in p[name] + "/" or "//" in p[name]:
            raise CriDockerdError("%s: %s is not an absolute file path of letters, digits and ._-/" % (
                name, json.dumps(p[name])))
    if os.path.basename(p["socket"]) in FOREIGN_SOCKETS:
        raise CriDockerdError("socket: %s is another daemon's socket; cri-dockerd's would take its place" % (
            json.dumps(p["socket"])))
    if not _GROUP.fullmatch(p["socket_group"]):
        raise CriDockerdError("socket_group: %s is not a group name" % json.dumps(p["socket_group"]))
    if p["pod_infra_image"] and not _IMAGE.fullmatch(p["pod_infra_image"]):
        raise CriDockerdError("pod_infra_image: %s is not an image reference" % json.dumps(p["pod_infra_image"]))
    for index, arg in enumerate(p["extra_args"]):
        if not _FLAG.fullmatch(arg):
            raise CriDockerdError("extra_args[%d]: %s is not one --name or --name=value (no spaces, $ or %%)" % (
                index, json.dumps(arg)))
        if arg.split("=", 1)[0] in OWN_FLAGS:
            raise CriDockerdError("extra_args[%d]: %s is set by the module; use its own option (socket, "
                                  "network_plugin, pod_infra_image)" % (index, arg.split("=", 1)[0]))


def service_unit(p):
    argv = [p["dest"], "--container-runtime-endpoint", "fd://"]
    if p["network_plugin"]:
        argv.append("--network-plugin=" + p["network_plugin"])
    if p["pod_infra_image"]:
        argv.append("--pod-infra-container-image=" + p["pod_infra_image"])
    argv.extend(p["extra_args"])
    return "\n".join([
        MARK,
        "[Unit]",
        "Description=CRI for Docker Engine (cri-dockerd)",
        "After=network-online.target docker.service %s" % SOCKET,
        "Wants=network-online.target",
        "Requires=%s" % SOCKET,
        "StartLimitBurst=3",
        "StartLimitIntervalSec=60",
        "",
        "[Service]",
        "Type=notify",
        "ExecStart=" + " ".join(argv),
        "ExecReload=/bin/kill -s HUP $MAINPID",
        "TimeoutStartSec=120",
        "Restart=always",
        "RestartSec=2",
        "LimitNOFILE=infinity",
        "LimitNPROC=infinity",
        "TasksMax=infinity",
        "Delegate=yes",
        "KillMode=process",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
    ])


def socket_unit(p):
    return "\n".join([
        MARK,
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


def ours(text):
    return text is not None and text.startswith(to_bytes(MARK + "\n"))


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
        and state.get("binary_sha256") == found_sha256 and state.get("dest") in (None, p["dest"])


def units_sha256(new):
    return hashlib.sha256(new["socket"] + b"\0" + new["service"]).hexdigest()


def started_on(state, new):
    """cri-dockerd was last started by this module on the units now wanted (the record is written after a start):
    false after a run killed between its writes and the restart, or with no record."""
    return state.get("units_sha256") == units_sha256(new)


def foreign(p, paths, old, state, show):
    """Why the module must not go on (a cri-dockerd or a file it did not install), or None."""
    fragment = show.get("FragmentPath", "")
    if fragment and fragment != paths["service"]:
        return ("cri-docker.service is already installed from %s (a package's or another tool's unit); this module "
                "does not take it over: remove it, or leave k8s_node_cri_dockerd off" % fragment)
    for key in ("service", "socket"):
        if old[key] is not None and not ours(old[key]):
            return "%s exists and was not written by this module; move it away to let the module manage cri-dockerd" % (
                paths[key])
    if old["binary"] is not None and state.get("dest") != p["dest"] \
            and not (ours(old["service"]) and b"ExecStart=" + to_bytes(p["dest"]) + b" " in old["service"]):
        return "dest: %s exists and was not installed by this module; move it away or choose another dest" % p["dest"]
    if os.path.lexists(p["socket"]) and state.get("socket") != p["socket"] \
            and not (ours(old["socket"]) and b"ListenStream=" + to_bytes(p["socket"]) + b"\n" in old["socket"]):
        return "socket: %s exists and is not this module's socket; choose another path" % p["socket"]
    return None


def download(module, want, into):
    """The download written to a file in the directory into, once its SHA-256 is the pin's; else an error."""
    p = module.params
    url = p["url"]
    path = os.path.join(into, "download")
    digest = hashlib.sha256()
    size = 0
    try:
        response = open_url(url, timeout=p["timeout"], follow_redirects="safe", use_netrc=False,
                            url_username=p["url_username"], url_password=p["url_password"],
                            force_basic_auth=bool(p["url_username"]), decompress=False,
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


def check_elf(data, name, machine):
    if data[:4] != ELF:
        raise CriDockerdError("%s is not an ELF executable" % name)
    order = "little" if data[5:6] == b"\x01" else "big"
    found = int.from_bytes(data[18:20], order)
    want = E_MACHINE.get(machine)
    if want is not None and found != want:
        raise CriDockerdError("%s is built for another machine (ELF e_machine %d, this host is %s: %d)" % (
            name, found, machine, want))


def binary_from(path, machine):
    """The cri-dockerd binary (bytes) in the download: the file itself, or the one file named cri-dockerd in it."""
    with open(path, "rb") as f:
        head = f.read(4)
    if head == ELF:
        with open(path, "rb") as f:
            data = f.read()
        check_elf(data, "the download", machine)
        return data
    try:
        archive = tarfile.open(path, "r:*")
    except (tarfile.TarError, IOError, OSError):
        raise CriDockerdError("the download is neither an ELF executable nor a tar archive")
    try:
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
    except (tarfile.TarError, EOFError, zlib.error, IOError, OSError) as e:
        raise CriDockerdError("the archive cannot be read to its end: %s" % to_native(e))
    check_elf(data, "the archive's %s" % json.dumps(found[0].name), machine)
    return data


def write(path, content, mode, dir_mode=0o755):
    """Atomic (a temporary file in the same directory, then rename), root's, mode set before the rename."""
    directory = os.path.dirname(path)
    tmp = None
    try:
        if not os.path.isdir(directory):
            os.makedirs(directory, dir_mode)
        fd, tmp = tempfile.mkstemp(prefix=".dockerops-", dir=directory)
        with os.fdopen(fd, "wb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.chown(tmp, 0, 0)
        os.rename(tmp, path)
    except (IOError, OSError) as e:
        if tmp and os.path.exists(tmp):
            os.unlink(tmp)
        raise CriDockerdError("could not write %s: %s" % (path, to_native(e)))


def remove(path):
    try:
        os.unlink(path)
    except OSError as e:
        if os.path.lexists(path):
            raise CriDockerdError("could not remove %s: %s" % (path, to_native(e)))


MODES = dict(binary=0o755, socket=0o644, service=0o644)
# Units first: a run killed after them leaves units that name the binary they expect (see foreign()).
ORDER = ("socket", "service", "binary")


class Systemd(object):
    def __init__(self, module):
        self.module = module
        self.bin = module.get_bin_path("systemctl", required=True)

    def run(self, *args):
        return self.module.run_command([self.bin] + list(args))

    def active(self, unit):
        return self.run("is-active", unit)[0] == 0

    def enabled(self, unit):
        return self.run("is-enabled", unit)[0] == 0

    def show(self, unit, *props):
        args = ["show"]
        for prop in props:
            args += ["-p", prop]
        rc, out, err = self.run(*(args + [unit]))
        if rc != 0:
            raise CriDockerdError("systemctl show %s failed (rc %d): %s" % (unit, rc, (err or out).strip()),
                                  rc, out, err)
        return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)

    def must(self, *args):
        rc, out, err = self.run(*args)
        if rc != 0:
            raise CriDockerdError("systemctl %s failed (rc %d): %s" % (" ".join(args), rc, (err or out).strip()),
                                  rc, out, err)


def apply(module, systemd, paths, new, old, was_active):
    """Write what differs, then reload, enable and (re)start; on a failure put back what this run wrote."""
    written = []
    try:
        for key in ORDER:
            if new[key] != old[key]:
                written.append(key)
                write(paths[key], new[key], MODES[key])
        systemd.must("daemon-reload")
        systemd.must("enable", SOCKET, SERVICE)
        # The socket is PartOf the service: restarting the service restarts it, on its new unit too.
        systemd.must("restart", SERVICE)
    except CriDockerdError as e:
        how = restore(systemd, paths, old, written, was_active)
        module.fail_json(msg="%s; %s" % (to_native(e), how), rc=e.rc, stdout=e.stdout, stderr=e.stderr)


def restore(systemd, paths, old, written, was_active):
    """Put back what this run wrote; says what was done and what failed."""
    said, failed = [], []
    first = old["service"] is None and old["socket"] is None
    if first:
        rc, out, err = systemd.run("disable", "--now", SOCKET, SERVICE)
        if rc != 0:
            failed.append("systemctl disable --now (rc %d): %s" % (rc, (err or out).strip()))
    for key in written:
        try:
            if old[key] is None:
                remove(paths[key])
            else:
                write(paths[key], old[key], MODES[key])
        except CriDockerdError as e:
            failed.append(to_native(e))
    if written:
        said.append("put back as they were: %s" % ", ".join(paths[key] for key in written))
    else:
        said.append("this run had rewritten no file")
    systemd.run("daemon-reload")
    if first:
        said.append("cri-dockerd's units disabled and removed (there was none before)")
    elif was_active:
        systemd.run("reset-failed", SERVICE)
        rc, out, err = systemd.run("restart", SERVICE)
        if rc == 0:
            said.append("cri-docker.service restarted on them")
        else:
            failed.append("cri-docker.service did not start on them either (rc %d): %s" % (rc, (err or out).strip()))
    else:
        rc, out, err = systemd.run("stop", SERVICE)
        said.append("cri-docker.service stopped, as it was before" if rc == 0 else
                    "cri-docker.service could not be stopped (rc %d): %s" % (rc, (err or out).strip()))
    return "; ".join(said + (["ROLLBACK INCOMPLETE: " + "; ".join(failed)] if failed else []))


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
            url_username=dict(type="str"),
            url_password=dict(type="str", no_log=True),
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
    try:
        check_inputs(p)
    except CriDockerdError as e:
        module.no_log_values.update(url_secrets(p["url"]))  # a refused URL's credentials stay out of the result too
        module.fail_json(msg=to_native(e))
    want = want_sha256(p["checksum"])
    paths = dict(binary=p["dest"], socket=os.path.join(p["unit_dir"], SOCKET),
                 service=os.path.join(p["unit_dir"], SERVICE))
    old = dict((key, read_bytes(path)) for key, path in paths.items())
    # The binary at dest was just read whole (rollback keeps it): hashed from that, not read a second time.
    found_sha256 = hashlib.sha256(old["binary"]).hexdigest() if old["binary"] is not None else ""
    new = dict(socket=to_bytes(socket_unit(p)), service=to_bytes(service_unit(p)), binary=old["binary"])
    state = read_state(p["state_file"])
    if not os.path.isdir(SYSTEMD_RUN):
        module.fail_json(msg="systemd is not running on this host (no %s): cri-dockerd needs it" % SYSTEMD_RUN)
    systemd = Systemd(module)
    try:
        show = systemd.show(SERVICE, "FragmentPath", "DropInPaths")
    except CriDockerdError as e:
        module.fail_json(msg=to_native(e), rc=e.rc, stdout=e.stdout, stderr=e.stderr)
    why = foreign(p, paths, old, state, show)
    if why:
        module.fail_json(msg=why + "; nothing was changed")
    if show.get("DropInPaths"):
        module.warn("cri-docker.service has drop-ins that may override this module's unit: %s" % show["DropInPaths"])
    if state.get("url") and state["url"] != mask_url(p["url"]) and state.get("checksum") == want:
        module.warn("url changed (was %s) but checksum did not: the installed binary is kept; a new release needs "
                    "its own checksum" % state["url"])
    binary_changed = not is_installed(p, state, found_sha256)
    units_changed = [SOCKET if key == "socket" else SERVICE for key in ("socket", "service") if new[key] != old[key]]
    was_active = systemd.active(SERVICE)
    was_enabled = systemd.enabled(SOCKET) and systemd.enabled(SERVICE)
    restart = binary_changed or bool(units_changed) or not was_active or not started_on(state, new)
    result = dict(changed=restart or not was_enabled, binary_changed=binary_changed, units_changed=units_changed,
                  restarted=restart, binary_sha256=found_sha256, socket="unix://" + p["socket"])
    if module._diff:
        result["diff"] = [dict(before_header=paths[k], after_header=paths[k], before=to_native(old[k] or b""),
                               after=to_native(new[k])) for k in ("socket", "service")]
        result["diff"].append(dict(before_header=p["dest"], after_header=p["dest"],
                                   before="sha256 %s\n" % (found_sha256 or "(none)"),
                                   after="sha256 %s\n" % (found_sha256 if not binary_changed
                                                          else "of the binary in the download pinned as " + want)))
    if module.check_mode:
        module.exit_json(**result)
    if not restart:
        if not was_enabled:
            try:
                systemd.must("enable", SOCKET, SERVICE)
            except CriDockerdError as e:
                module.fail_json(msg=to_native(e), rc=e.rc, stdout=e.stdout, stderr=e.stderr)
        module.exit_json(**result)
    if binary_changed:
        tmp = tempfile.mkdtemp(prefix="cri-dockerd-", dir=module.tmpdir)
        try:
            new["binary"] = binary_from(download(module, want, tmp), os.uname()[4])
        except CriDockerdError as e:
            module.fail_json(msg=to_native(e))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        result["binary_changed"] = new["binary"] != old["binary"]
    apply(module, systemd, paths, new, old, was_active)
    # Written once cri-dockerd has started on this binary and these units: what a rerun compares with.
    result["binary_sha256"] = hashlib.sha256(new["binary"]).hexdigest()
    try:
        write(p["state_file"], to_bytes(json.dumps(dict(
            checksum=want, binary_sha256=result["binary_sha256"], units_sha256=units_sha256(new),
            dest=p["dest"], socket=p["socket"], url=mask_url(p["url"])), sort_keys=True) + "\n"), 0o644)
    except CriDockerdError as e:
        module.fail_json(msg="cri-dockerd runs on the new files, but %s: the next run restarts it again" % to_native(e))
    if module._diff:
        result["diff"][-1]["after"] = "sha256 %s\n" % result["binary_sha256"]
    module.exit_json(**result)


if __name__ == "__main__":
    main()
