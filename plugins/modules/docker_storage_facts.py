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
  - When the host must move, what the move touches (RV(at_risk)) - what it loses (containers, which stay in the
    old data root, and swarm membership), what C(dockerops.host.docker_storage_migrate) carries over (volumes, user
    networks, images referenced only by digest) - and whether the images' archive fits in O(work_dir).
    RV(decision) carries a refusal when something would be lost, unless O(migrate_with_losses=true), or when the
    archive has no room.
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
    description:
      - Device-mapper name (C(VG-POOL), a C(-) inside either name doubled) of the direct-lvm thin pool the role
        manages, for RV(decision).
      - Mutually exclusive with O(vg) and O(pool_lv), from which the module computes it.
    type: str
  vg:
    description: Volume group of the direct-lvm thin pool the role manages (C(docker_storage_vg)). Needs O(pool_lv).
    type: str
  pool_lv:
    description: Logical volume name of that thin pool (C(docker_storage_pool)). Needs O(vg).
    type: str
  containerd_store:
    description:
      - Whether the daemon configuration asks for the containerd image store (C(features.containerd-snapshotter)),
        for RV(decision).
      - Unset, the store the engine runs now stays.
    type: bool
  work_dir:
    description:
      - Where docker_storage saves the images before a move (C(docker_storage_work_dir)); its free space is checked
        against the images' size.
      - An unfinished move's record there (C(migration.json), docker_storage_migrate's) makes RV(decision) resume
        it.
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
      - Allow a move that loses containers or swarm membership (C(docker_storage_migrate_with_losses)). Without it
        RV(decision) carries a refusal that lists them, and what the move would carry over.
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
    - The running engine; C(answered) is false when none answers C(docker info) with its server version (within
      30 seconds).
    - C(installed) is whether an engine is installed, answering or not - true when one answered or C(dockerd
      --version) reports a version.
    - C(error) is why no engine answered (the docker CLI missing, the timeout, the CLI's server error or its
      stderr), null when one answered.
    - C(version) is the answering engine's version, else the installed dockerd's.
    - C(configured_driver) is what the host is set up for when no engine answers - daemon.json's C(storage-driver),
      else C(devicemapper) when the data root holds devicemapper data; null otherwise.
  returned: always
  type: dict
  sample: {answered: true, installed: true, error: null, version: "20.10.24+dfsg1", storage_driver: overlay2,
           backing_filesystem: extfs, supports_d_type: true, data_root: /var/lib/docker, has_devicemapper: true,
           image_store: graphdriver, configured_driver: null}
decision:
  description:
    - What docker_storage does here. C(wanted) is the driver the host runs afterwards, C(healthy) whether what runs
      now is healthy (null when no engine answered), C(migrate) whether the host must move, C(reason) why,
      C(error) why nothing can be done (null otherwise; also when an installed engine does not answer),
      C(manage_pool) whether the role's thin pool is used, C(pool) the device-mapper name of the pool the daemon
      options name (null without), C(image_store) the store afterwards and C(daemon_options) the storage part of
      daemon.json.
    - C(resume) is true when an unfinished move is recorded in O(work_dir); it then goes on to the driver it
      recorded, also with the engine stopped by it. C(storage_first) says that site.yml runs docker_storage before
      the install roles (a devicemapper host that moves, or an unfinished move).
    - When the host must move, C(refusal) says why the move is refused (what it would lose, or no room for the
      images' archive), null when it may go ahead.
  returned: always
  type: dict
  sample: {wanted: overlayfs, healthy: true, migrate: false, error: null, manage_pool: false, pool: null,
           image_store: containerd, resume: false, storage_first: false,
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
    - When the host must move - what the move touches - C(containers) (name and state), C(volumes), C(networks)
      (user networks), C(digest_only_images), C(swarm) (the node state, null when not in a swarm), C(losses) (one
      line per kind lost - containers, swarm membership), C(carried) (one line per kind carried over - volumes,
      networks, digest-only images), C(images_bytes), C(work_dir_free_bytes), C(work_dir_on_data_root_fs) and
      C(data_root_free_bytes).
      Empty otherwise.
  returned: always
  type: dict
  sample: {containers: [{name: web, state: running}], volumes: [pgdata], networks: [backend], digest_only_images: [],
           swarm: null, losses: ["1 container(s), which do not come back: web (running)"],
           carried: ["1 volume(s) with their data: pgdata", "1 user network(s): backend"], images_bytes: 19070000,
           work_dir_free_bytes: 41234567168}
overlay2:
  description: Whether overlay2 is supported on this host, and why.
  returned: always
  type: dict
  sample: {supported: true, kernel: 6.1.0-50-amd64, data_root_fstype: ext4,
           reasons: ["kernel 6.1.0-50-amd64 is 4.0 or later", "overlay file system available", "data root on ext4"]}
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dockerops.host.plugins.module_utils import (
    _daemon_json, _docker_engine, _files, _storage_move, _lvm as lvm, _storage as storage)

PROC_FILESYSTEMS = "/proc/filesystems"


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
        driver = _daemon_json.load(module.params["daemon_json"]).get("storage-driver")
        if driver:
            return driver
    except _daemon_json.DaemonJsonError:
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
    risk["carried"] = storage.migration_carried(risk)
    images = [r for r in listing(module, docker, "system", "df") if r.get("Type") == "Images"]
    risk["images_bytes"] = storage.parse_size(images[0].get("Size")) if images else None
    risk["work_dir_free_bytes"] = free_bytes(module.params["work_dir"])
    risk["work_dir_on_data_root_fs"] = same_file_system(module.params["work_dir"], data_root)
    risk["data_root_free_bytes"] = free_bytes(data_root)
    return risk


def open_record(module, path):
    """The unfinished move's record (from, to, moved), or None; one that cannot be read fails, naming it."""
    record = _storage_move.read_record(module, path)
    if record is not None and record["moved"] is None:  # a record of an earlier release
        record["moved"] = os.path.exists(record.get("backup") or "/nonexistent")
    return record


def main():
    module = AnsibleModule(argument_spec=dict(data_root=dict(type="path", default="/var/lib/docker"),
                                              driver=dict(type="str", default="auto",
                                                          choices=["auto", "overlay2", "devicemapper"]),
                                              pool=dict(type="str"),
                                              vg=dict(type="str"),
                                              pool_lv=dict(type="str"),
                                              containerd_store=dict(type="bool"),
                                              work_dir=dict(type="path", default="/var/lib/dockerops-storage"),
                                              keep_images=dict(type="bool", default=True),
                                              assess_risk=dict(type="bool", default=True),
                                              daemon_json=dict(type="path", default="/etc/docker/daemon.json"),
                                              migrate_with_losses=dict(type="bool", default=False)),
                           mutually_exclusive=[["pool", "vg"], ["pool", "pool_lv"]],
                           required_together=[["vg", "pool_lv"]],
                           supports_check_mode=True)
    pool = module.params["pool"]
    if module.params["vg"]:
        pool = lvm.dm_name(module.params["vg"], module.params["pool_lv"])
    record = open_record(module, os.path.join(module.params["work_dir"], "migration.json"))
    info, why = _docker_engine.info(module)
    # The answering engine's version, else the installed dockerd's (an engine that is installed but down).
    version = info["ServerVersion"] if info is not None else _docker_engine.dockerd_version(module)
    status = _docker_engine.driver_status(info)
    data_root = (info or {}).get("DockerRootDir") or module.params["data_root"]
    driver = (info or {}).get("Driver")
    engine = dict(answered=info is not None, installed=bool(version), error=why, version=version,
                  storage_driver=driver,
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
    supported, reasons = storage.overlay2_support(release, _files.read_text(PROC_FILESYSTEMS), module_found, fstype, ftype)
    overlay2 = dict(supported=supported, reasons=reasons, kernel=release, data_root_fstype=fstype, xfs_ftype=ftype)

    decision = storage.decide(engine, dm, supported, setting=module.params["driver"], pool=pool,
                              containerd_store=module.params["containerd_store"], resume=record)
    risk = {}
    decision["refusal"] = None
    # An unfinished move was allowed when it started.
    if decision["migrate"] and not record and info is not None and module.params["assess_risk"]:
        risk = risk_of_moving(module, info, data_root)
        refusal = storage.migration_refusal(risk["losses"], data_root, module.params["migrate_with_losses"],
                                            carried=risk["carried"])
        if not refusal and module.params["keep_images"]:
            refusal = storage.space_refusal(risk["images_bytes"], risk["work_dir_free_bytes"],
                                            module.params["work_dir"], risk["work_dir_on_data_root_fs"])
            if not refusal and not risk["work_dir_on_data_root_fs"]:
                refusal = storage.load_space_refusal(risk["images_bytes"], risk["data_root_free_bytes"], data_root)
        refusal = storage.work_dir_refusal(os.path.realpath(module.params["work_dir"]),
                                           os.path.realpath(data_root)) or refusal
        decision["refusal"] = refusal or None
    module.exit_json(changed=False, engine=engine, devicemapper=dm, overlay2=overlay2, decision=decision,
                     at_risk=risk)


if __name__ == "__main__":
    main()
