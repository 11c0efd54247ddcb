#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: docker_storage_facts
short_description: What a Docker host's storage is, and what it could be
description:
  - Reports the running engine's version, storage driver, backing file system and d_type support.
  - For devicemapper, whether it runs on loop files (loop-lvm, whose sparse data file grows and never gives space
    back), with their apparent and allocated sizes, and the thin pool's data and metadata use.
  - Whether overlay2 is supported on this host - kernel 4.0 or later (3.10.0-514 or later on EL), the overlay file
    system, and a data root file system with d_type (xfs needs ftype=1).
  - Whether the installed engine still has devicemapper (removed in Engine 25.0).
  - Which image store the engine runs - the classic graph drivers, or the containerd image store (Engine 29's default
    for new installs), whose overlay snapshotter docker info reports as C(overlayfs).
  - What C(dockerops.host.docker_storage) does with the host and why (RV(decision)) - healthy hosts (overlay2,
    overlayfs, devicemapper on direct-lvm) are left alone; only loop-lvm, or an explicit O(driver) that differs
    from what runs, is moved.
  - When the host must move, what the move would leave behind in the old data root (RV(at_risk)) - containers,
    volumes, user networks, images referenced only by digest, swarm membership - and whether the images' archive
    fits in O(work_dir). RV(decision) then carries the refusal, unless O(migrate_with_losses=true).
  - Read-only.
version_added: 0.1.0
author: dockerops.host maintainers (@dockerops)
extends_documentation_fragment:
  - dockerops.host.read_only
options:
  data_root:
    description: The engine's data root, when no engine answers to say it.
    type: path
    default: /var/lib/docker
  driver:
    description:
      - The storage driver asked for (C(docker_storage_driver)), for RV(decision).
      - V(auto) leaves a healthy host alone and moves only loop-lvm.
    type: str
    default: auto
    choices: [auto, overlay2, devicemapper]
  pool:
    description: Device-mapper name (C(VG-POOL)) of the direct-lvm thin pool the role manages, for RV(decision).
    type: str
  containerd_store:
    description:
      - Whether the daemon configuration asks for the containerd image store (C(features.containerd-snapshotter)),
        for RV(decision).
      - Unset, the store the engine runs now stays.
    type: bool
  work_dir:
    description: Where docker_storage saves the images before a move (C(docker_storage_work_dir)); its free space is
      checked against the images' size.
    type: path
    default: /var/lib/dockerops-storage
  keep_images:
    description: Whether the images are saved before a move (C(docker_storage_keep_images)), for the space check.
    type: bool
    default: true
  assess_risk:
    description:
      - Read what a move would leave behind (RV(at_risk)) and the room for the images when the host must move. The
        install roles and site.yml, which only need the driver, turn it off.
    type: bool
    default: true
  daemon_json:
    description: The engine's daemon.json, read for its C(storage-driver) when no engine answers (RV(engine)).
    type: path
    default: /etc/docker/daemon.json
  migrate_with_losses:
    description:
      - Allow a move that leaves containers, volumes, user networks, digest-only images or swarm membership behind
        (C(docker_storage_migrate_with_losses)). Without it RV(decision) carries a refusal that lists them.
    type: bool
    default: false
seealso:
  - module: dockerops.host.lvm_thinpool
  - module: community.docker.docker_host_info
"""

EXAMPLES = r"""
- name: Read the storage facts
  dockerops.host.docker_storage_facts:
  register: storage

- name: Warn about loop-lvm
  ansible.builtin.debug:
    msg: "{{ inventory_hostname }} runs devicemapper on loop files {{ storage.devicemapper.loop_files }}"
  when: storage.devicemapper.loop_lvm | default(false)
"""

RETURN = r"""
engine:
  description:
    - The running engine; C(answered) is false when none answers.
    - C(configured_driver) is what the host is set up for when no engine answers - daemon.json's C(storage-driver),
      else C(devicemapper) when the data root holds devicemapper data; null otherwise.
  returned: always
  type: dict
  sample: {answered: true, version: "20.10.24+dfsg1", storage_driver: overlay2, backing_filesystem: extfs,
           supports_d_type: true, data_root: /var/lib/docker, has_devicemapper: true, image_store: graphdriver,
           configured_driver: null}
decision:
  description:
    - What docker_storage does here. C(wanted) is the driver the host runs afterwards, C(healthy) whether what runs
      now is healthy (null when no engine answered), C(migrate) whether the host must move, C(reason) why,
      C(error) why nothing can be done (null otherwise), C(manage_pool) whether the role's thin pool is used,
      C(image_store) the store afterwards and C(daemon_options) the storage part of daemon.json.
    - When the host must move, C(refusal) says why the move is refused (what it would lose, or no room for the
      images' archive), null when it may go ahead.
  returned: always
  type: dict
  sample: {wanted: overlayfs, healthy: true, migrate: false, error: null, manage_pool: false, image_store: containerd,
           reason: "overlayfs (containerd image store): auto moves only loop-lvm",
           daemon_options: {storage-driver: overlayfs}}
devicemapper:
  description: Pool and loop files when the engine runs devicemapper; empty otherwise.
  returned: always
  type: dict
  sample: {loop_lvm: true, pool_name: docker-254:0-1-pool, data_percent: 0.21,
           loop_files: [{path: /var/lib/docker/devicemapper/devicemapper/data, apparent_bytes: 107374182400,
                         allocated_bytes: 240164864}]}
at_risk:
  description:
    - When the host must move - what stays behind in the old data root - C(containers) (name and state),
      C(volumes), C(networks) (user networks), C(digest_only_images), C(swarm) (the node state, null when not in
      a swarm), C(losses) (one line per kind), C(images_bytes), C(work_dir_free_bytes) and
      C(work_dir_on_data_root_fs). Empty otherwise.
  returned: always
  type: dict
  sample: {containers: [{name: web, state: running}], volumes: [pgdata], networks: [backend], digest_only_images: [],
           swarm: null, losses: ["1 container(s), which do not come back: web (running)"], images_bytes: 19070000,
           work_dir_free_bytes: 41234567168}
overlay2:
  description: Whether overlay2 is supported on this host, and why.
  returned: always
  type: dict
  sample: {supported: true, kernel: 6.1.0-50-amd64, data_root_fstype: ext4,
           reasons: ["kernel 6.1.0-50-amd64 is 4.0 or later", "overlay file system available", "data root on ext4"]}
"""

import json
import os
import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dockerops.host.plugins.module_utils import storage

PROC_FILESYSTEMS = "/proc/filesystems"


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except (IOError, OSError):
        return ""


def docker_info(module):
    docker = module.get_bin_path("docker")
    if not docker:
        return None
    rc, out, dummy = module.run_command([docker, "info", "--format", "{{json .}}"], environ_update={"LANG": "C"})
    if rc != 0:
        return None
    try:
        return json.loads(out)
    except ValueError:
        return None


def engine_version(module, info):
    if info:
        return info.get("ServerVersion")
    dockerd = module.get_bin_path("dockerd")
    if not dockerd:
        return None
    rc, out, dummy = module.run_command([dockerd, "--version"])
    m = re.search(r"version ([0-9][^ ,]*)", out or "")
    return m.group(1) if rc == 0 and m else None


def _existing(path):
    """path, or its nearest parent that exists."""
    while path and not os.path.exists(path):
        path = os.path.dirname(path)
    return path or "/"


def fs_of(module, path):
    """(fstype, mountpoint) of the file system holding path (or its nearest existing parent)."""
    path = _existing(path)
    findmnt = module.get_bin_path("findmnt")
    if not findmnt:
        return None, None
    rc, out, dummy = module.run_command([findmnt, "--noheadings", "--output", "FSTYPE,TARGET", "--target", path])
    if rc != 0 or not out.strip():
        return None, None
    fstype, dummy, target = out.strip().splitlines()[0].partition(" ")
    return fstype, target.strip()


def listing(module, docker, *args):
    """Rows of a docker CLI listing with --format '{{json .}}'; fails naming the command when it cannot be read."""
    argv = [docker] + list(args) + ["--format", "{{json .}}"]
    rc, out, err = module.run_command(argv, environ_update={"LANG": "C"})
    if rc != 0:
        module.fail_json(msg="%s failed: %s" % (" ".join(argv), err.strip()), rc=rc, stderr=err)
    try:
        return storage.json_lines(out)
    except ValueError as e:
        module.fail_json(msg="%s gave output that is not JSON lines: %s" % (" ".join(argv), e))


def free_bytes(path):
    try:
        st = os.statvfs(_existing(path))
    except OSError:
        return None
    return st.f_bavail * st.f_frsize


def same_file_system(a, b):
    try:
        return os.stat(_existing(a)).st_dev == os.stat(_existing(b)).st_dev
    except OSError:
        return True


def configured_driver(module, data_root):
    """What a host whose engine does not answer is set up for: daemon.json's storage-driver, or devicemapper data."""
    try:
        with open(module.params["daemon_json"]) as f:
            config = json.load(f)
        if isinstance(config, dict) and config.get("storage-driver"):
            return config["storage-driver"]
    except (IOError, OSError, ValueError):
        pass
    return "devicemapper" if os.path.isdir(os.path.join(data_root, "devicemapper")) else None


def risk_of_moving(module, info, data_root):
    """What moving the data root aside leaves behind, and the room for the images' archive."""
    docker = module.get_bin_path("docker", required=True)
    risk = storage.at_risk(listing(module, docker, "ps", "--all"), listing(module, docker, "volume", "ls"),
                           listing(module, docker, "network", "ls"),
                           listing(module, docker, "images", "--digests"),
                           (info.get("Swarm") or {}).get("LocalNodeState"))
    risk["losses"] = storage.migration_losses(risk)
    images = [r for r in listing(module, docker, "system", "df") if r.get("Type") == "Images"]
    risk["images_bytes"] = storage.parse_size(images[0].get("Size")) if images else None
    risk["work_dir_free_bytes"] = free_bytes(module.params["work_dir"])
    risk["work_dir_on_data_root_fs"] = same_file_system(module.params["work_dir"], data_root)
    return risk


def main():
    module = AnsibleModule(argument_spec=dict(data_root=dict(type="path", default="/var/lib/docker"),
                                              driver=dict(type="str", default="auto",
                                                          choices=["auto", "overlay2", "devicemapper"]),
                                              pool=dict(type="str"),
                                              containerd_store=dict(type="bool"),
                                              work_dir=dict(type="path", default="/var/lib/dockerops-storage"),
                                              keep_images=dict(type="bool", default=True),
                                              assess_risk=dict(type="bool", default=True),
                                              daemon_json=dict(type="path", default="/etc/docker/daemon.json"),
                                              migrate_with_losses=dict(type="bool", default=False)),
                           supports_check_mode=True)
    info = docker_info(module)
    version = engine_version(module, info)
    status = storage.driver_status(info or {})
    data_root = (info or {}).get("DockerRootDir") or module.params["data_root"]
    driver = (info or {}).get("Driver")
    engine = dict(answered=info is not None, version=version, storage_driver=driver,
                  backing_filesystem=status.get("Backing Filesystem"),
                  supports_d_type={"true": True, "false": False}.get(status.get("Supports d_type")),
                  data_root=data_root,
                  has_devicemapper=storage.engine_has_devicemapper(version) if version else None,
                  image_store=storage.image_store(info),
                  configured_driver=None if info is not None else configured_driver(module, data_root))

    dm = {}
    if driver == "devicemapper":
        dm = storage.devicemapper_facts(info)
        dm["loop_files"] = [storage.loop_file(p) for p in dm.pop("loop_file_paths")]

    fstype, mountpoint = fs_of(module, data_root)
    ftype = None
    if fstype == "xfs":
        xfs_info = module.get_bin_path("xfs_info")
        if xfs_info:
            dummy, out, dummy = module.run_command([xfs_info, mountpoint])
            ftype = storage.xfs_ftype(out)
    release = os.uname()[2]
    modinfo = module.get_bin_path("modinfo")
    module_found = bool(modinfo) and module.run_command([modinfo, "overlay"])[0] == 0
    supported, reasons = storage.overlay2_support(release, read(PROC_FILESYSTEMS), module_found, fstype, ftype)
    overlay2 = dict(supported=supported, reasons=reasons, kernel=release, data_root_fstype=fstype, xfs_ftype=ftype)

    decision = storage.decide(engine, dm, supported, setting=module.params["driver"], pool=module.params["pool"],
                              containerd_store=module.params["containerd_store"])
    risk = {}
    decision["refusal"] = None
    if decision["migrate"] and info is not None and module.params["assess_risk"]:
        risk = risk_of_moving(module, info, data_root)
        refusal = storage.migration_refusal(risk["losses"], data_root, module.params["migrate_with_losses"])
        if not refusal and module.params["keep_images"]:
            refusal = storage.space_refusal(risk["images_bytes"], risk["work_dir_free_bytes"],
                                            module.params["work_dir"], risk["work_dir_on_data_root_fs"])
        decision["refusal"] = refusal or None
    module.exit_json(changed=False, engine=engine, devicemapper=dm, overlay2=overlay2, decision=decision,
                     at_risk=risk)


if __name__ == "__main__":
    main()
