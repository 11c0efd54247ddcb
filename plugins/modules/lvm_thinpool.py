#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: lvm_thinpool
short_description: An LVM thin pool for Docker's devicemapper driver (direct-lvm)
description:
  - Builds a thin pool on block devices following Docker's manual direct-lvm procedure, which
    M(community.general.lvg) and M(community.general.lvol) cannot do - C(pvcreate), C(vgcreate), a data and a
    metadata logical volume, C(lvconvert --thinpool --poolmetadata) with a chunk size and C(--zero n), an LVM profile
    with C(thin_pool_autoextend_threshold) and C(thin_pool_autoextend_percent) applied with
    C(lvchange --metadataprofile), and monitoring on.
  - Each step runs only when the state needs it, so a run interrupted after any step completes on the next run, and a
    pool already in shape is left alone. Profile values and monitoring are corrected on an existing pool; a chunk size
    that differs is reported, since LVM cannot change it.
  - Before anything is written, every device must be a block device without partitions, not mounted, not in another
    volume group, and without any signature (file system, partition table, RAID, LVM), which it names; only
    O(wipe_signatures=true) lets it erase signatures.
  - The logical volumes it creates carry the LVM tag C(dockerops). An existing volume named like the pool or its
    metadata volume (C(<pool>meta)) that is not a thin pool and does not carry the tag is refused, since
    C(lvconvert) would destroy its content; a thin pool that exists already is used as it is.
  - O(state=absent) refuses while the running engine uses the pool or any file of O(engine_configs) names it.
version_added: 0.1.0
author: dockerops.host maintainers (@dockerops)
attributes:
  check_mode:
    support: full
    description: Reports the commands it would run, runs none of them.
  diff_mode:
    support: full
    description: The pool's state before and after.
options:
  vg:
    description:
      - Volume group for the pool; created on O(devices) when it does not exist.
      - An LVM name - only C(A-Z a-z 0-9 . _ + -), not starting with C(-), not C(.) or C(..); anything else is refused
        before anything is written.
    type: str
    default: docker
  pool:
    description:
      - Name of the thin pool logical volume. Its device is C(/dev/mapper/<vg>-<pool>), each C(-) inside a name
        doubled (vg C(docker-a), pool C(thin-pool) is C(/dev/mapper/docker--a-thin--pool)).
      - An LVM name, as O(vg).
    type: str
    default: thinpool
  devices:
    description: Block devices (whole disks) for the volume group. Needed to create it; added to it when missing.
    type: list
    elements: path
    default: []
  data_size:
    description: Size of the data volume, a percentage (C(95%VG)) or a size (C(50G)).
    type: str
    default: 95%VG
  metadata_size:
    description: Size of the metadata volume, a percentage (C(1%VG)) or a size (C(1G)).
    type: str
    default: 1%VG
  chunk_size:
    description: Thin pool chunk size.
    type: str
    default: 512K
  autoextend_threshold:
    description: Pool use in percent at which LVM extends it (100 turns autoextension off).
    type: int
    default: 80
  autoextend_percent:
    description: By how much, in percent, LVM extends the pool.
    type: int
    default: 20
  profile:
    description:
      - LVM profile name, written to C(/etc/lvm/profile/<profile>.profile) (and removed with O(state=absent)).
        Defaults to C(<vg>-<pool>).
      - A plain file name - only C(A-Z a-z 0-9 . _ + -), not starting with C(.) or C(-), no C(/) and no C(..) - so the
        profile stays in C(/etc/lvm/profile); anything else is refused before anything is written or removed, naming
        the option.
    type: str
  monitor:
    description: Have dmeventd monitor the pool; without monitoring no autoextension happens.
    type: bool
    default: true
  wipe_signatures:
    description:
      - Erase file system, partition table and other signatures on O(devices) (C(wipefs --all)). Whatever was on them is
        lost. Mounted devices and members of another volume group are refused even so.
    type: bool
    default: false
  engine_configs:
    description:
      - daemon.json files, or directories of C(*.json) fragments, read before O(state=absent) removes the pool. A
        pool one of them names (C(dm.thinpooldev)) is not removed, since the engine would not start with it gone.
    type: list
    elements: path
    default: [/etc/docker/daemon.json, /etc/docker/dockerops.d]
  state:
    description: C(absent) removes the pool and its profile, refusing while a running engine or anything else uses it.
    type: str
    choices: [present, absent]
    default: present
notes:
  - Needs lvm2 and thin-provisioning-tools (device-mapper-persistent-data on EL).
seealso:
  - module: community.general.lvg
  - module: community.general.lvol
  - name: Docker's direct-lvm procedure
    description: Configure direct-lvm mode for production.
    link: https://docs.docker.com/engine/storage/drivers/device-mapper-driver/
"""

EXAMPLES = r"""
- name: Thin pool for devicemapper on a spare disk
  dockerops.host.lvm_thinpool:
    devices: [/dev/xvdf]

- name: Larger chunks, earlier autoextension
  dockerops.host.lvm_thinpool:
    vg: docker
    pool: thinpool
    devices: [/dev/sdb, /dev/sdc]
    chunk_size: 1M
    autoextend_threshold: 70
    autoextend_percent: 30
  register: pool

- name: Remove the pool once nothing uses it
  dockerops.host.lvm_thinpool:
    state: absent
"""

RETURN = r"""
pool:
  description:
    - The pool as it is after the run (as it would be, in check mode).
    - In check mode a pool that does not exist yet has its device, chunk size, profile and monitoring as the run
      would make them; its size and use are not known before it exists (null).
  returned: always
  type: dict
  contains:
    device:
      description: Device path for C(dm.thinpooldev).
      type: str
      sample: /dev/mapper/docker-thinpool
    exists:
      description: Whether the pool exists.
      type: bool
    size_bytes:
      description: Size of the pool's data.
      type: int
      sample: 4068474880
    data_percent:
      description: Data use in percent.
      type: float
      sample: 0.0
    metadata_percent:
      description: Metadata use in percent.
      type: float
      sample: 10.61
    chunk_size_bytes:
      description: Chunk size.
      type: int
      sample: 524288
    profile:
      description: The LVM profile attached to the pool.
      type: str
      sample: docker-thinpool
    monitored:
      description: Whether dmeventd monitors the pool.
      type: bool
commands:
  description: The commands run (or, in check mode, that would run), in order.
  returned: always
  type: list
  elements: str
  sample: ["pvcreate /dev/vdb", "vgcreate docker /dev/vdb"]
warnings_found:
  description: Differences LVM cannot correct on an existing pool.
  returned: always
  type: list
  elements: str
"""

import glob
import os
import re

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.dockerops.host.plugins.module_utils import _daemon_json, _docker_engine, _files, _lvm as lvmlib

PROFILE_DIR = "/etc/lvm/profile"
# Every logical volume this module creates carries it: a volume without it is not this module's to convert.
TAG = "dockerops"
# lvm(8) "VALID NAMES": these characters, not starting with "-", not "." or "..".
LVM_NAME = re.compile(r"^[A-Za-z0-9._+][A-Za-z0-9._+-]*$")
# A profile is a file in PROFILE_DIR: no path, no hidden file, no "..".
PROFILE_NAME = re.compile(r"^[A-Za-z0-9_+][A-Za-z0-9._+-]*$")
SIZE_UNITS = {"": 1, "b": 1, "s": 512, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3, "t": 1024 ** 4}


def to_bytes(size):
    s = str(size).strip().lower()
    unit = s[-1] if s and s[-1].isalpha() else ""
    return int(float(s[:-1] if unit else s) * SIZE_UNITS[unit])


def profile_text(threshold, percent):
    return ("# Managed by dockerops.host.lvm_thinpool\n"
            "activation {\n"
            "\tthin_pool_autoextend_threshold=%d\n"
            "\tthin_pool_autoextend_percent=%d\n"
            "}\n" % (threshold, percent))


class ThinPool(object):
    def __init__(self, module, lvm):
        self.m = module
        self.lvm = lvm
        p = module.params
        self.vg, self.pool = p["vg"], p["pool"]
        self.meta = p["pool"] + "meta"
        self.dm_name = lvmlib.dm_name(self.vg, self.pool)  # docker info's Pool Name, dm.thinpooldev's basename
        self.device = "/dev/mapper/" + self.dm_name
        self.profile = p["profile"] or "%s-%s" % (self.vg, self.pool)
        self.profile_path = os.path.join(PROFILE_DIR, self.profile + ".profile")
        self.commands, self.warnings = [], []
        self.changed = False

    # -- names ----------------------------------------------------------
    def check_names(self):
        """Refuse names that would take a path outside LVM's and PROFILE_DIR, before anything is read or written."""
        p = self.m.params
        for opt in ("vg", "pool"):
            if not LVM_NAME.match(p[opt]) or p[opt] in (".", ".."):
                self.fail("%s: %r is not an LVM name (only A-Z a-z 0-9 . _ + -, not starting with -, not . or ..)"
                          % (opt, p[opt]))
        if not PROFILE_NAME.match(self.profile) or ".." in self.profile:
            given = "" if p["profile"] else " (made from vg and pool as <vg>-<pool>)"
            self.fail("profile: %r%s is not a plain LVM profile name (only A-Z a-z 0-9 . _ + -, not starting with . "
                      "or -, no / and no ..): the profile must stay a file in %s" % (self.profile, given, PROFILE_DIR))

    # -- helpers --------------------------------------------------------
    def do(self, argv):
        """Run a changing command, or only record it in check mode."""
        self.commands.append(" ".join(argv))
        self.changed = True
        if not self.m.check_mode:
            self.lvm.run(argv)

    def fail(self, msg, **kw):
        self.m.fail_json(msg=msg, commands=self.commands, **kw)

    def state(self):
        vg = self.lvm.vg(self.vg)
        lvs = self.lvm.lvs(self.vg) if vg else {}
        pool = lvs.get(self.pool)
        return dict(vg=vg, lvs=lvs,
                    pool=pool if pool and pool.get("segtype") == "thin-pool" else None)

    def summary(self, st):
        pool = st["pool"]
        if not pool:
            return dict(device=self.device, exists=False)
        # A pool check mode plans (planned()) has no size, use or, unless it is asked for, monitoring yet: null.
        return dict(device=self.device, exists=True,
                    size_bytes=int(pool.get("lv_size") or 0) if "lv_size" in pool else None,
                    data_percent=lvmlib.percent(pool.get("data_percent")),
                    metadata_percent=lvmlib.percent(pool.get("metadata_percent")),
                    chunk_size_bytes=int(pool.get("chunk_size") or 0), profile=pool.get("lv_profile", ""),
                    monitored=pool.get("seg_monitor") == "monitored" if "seg_monitor" in pool else None)

    def planned(self, before):
        """Check mode: the state the commands planned would leave. A new pool gets the chunk size, profile and
        monitoring asked for; an existing one keeps its chunk size (LVM cannot change it) and gets the profile, and
        monitoring when asked for."""
        p = self.m.params
        pool = dict(before["pool"] or {"segtype": "thin-pool", "chunk_size": str(to_bytes(p["chunk_size"]))})
        pool["lv_profile"] = self.profile
        if p["monitor"]:
            pool["seg_monitor"] = "monitored"
        return dict(before, pool=pool)

    # -- safety ---------------------------------------------------------
    def check_devices(self, devices, pvs):
        """Refuse, naming what was found, before anything is written. Returns devices to wipe."""
        to_wipe = []
        for dev in devices:
            real = os.path.realpath(dev)
            owner = pvs.get(dev, pvs.get(real))
            if owner == self.vg:
                continue  # already ours: a resumed run
            if not lvmlib.is_block_device(real):
                self.fail("devices: %s is not a block device" % dev)
            parts, mounts = self.lvm.layout(real)
            if parts:
                self.fail("devices: %s has partitions (%s); give a whole, empty disk" % (dev, ", ".join(parts)))
            if mounts:
                self.fail("devices: %s is mounted on %s; refusing to touch it" % (dev, ", ".join(mounts)))
            if owner:
                self.fail("devices: %s belongs to volume group %s; refusing to take it into %s" % (dev, owner, self.vg))
            if owner == "":
                continue  # a PV in no VG: nothing to lose
            sigs = self.lvm.signatures(real)
            if sigs:
                found = ", ".join("%s at offset %s" % (t, o) for o, t in sigs)
                if not self.m.params["wipe_signatures"]:
                    self.fail("devices: %s holds %s; refusing to overwrite it (wipe_signatures: true erases it, "
                              "and everything on it)" % (dev, found))
                to_wipe.append(real)
        return to_wipe

    def check_ownership(self, lvs):
        """Refuse volumes named like the pool or its metadata that this module did not create (no TAG)."""
        for name in (self.pool, self.meta):
            lv = lvs.get(name)
            if lv is None or TAG in lvmlib.lv_tags(lv):
                continue
            self.fail("%s/%s exists (segment type %s, %s bytes) and is not lvm_thinpool's (no LVM tag %s): turning it "
                      "into the pool would destroy what it holds. Nothing was changed. Choose another pool name, or "
                      "remove it; if it is an empty volume made for this pool, tag it: lvchange --addtag %s %s/%s"
                      % (self.vg, name, lv.get("segtype") or "?", lv.get("lv_size") or "?", TAG, TAG, self.vg, name))

    # -- present --------------------------------------------------------
    def present(self):
        p = self.m.params
        before = self.state()
        pvs = self.lvm.pvs()
        devices = p["devices"]
        if not before["vg"] and not devices:
            self.fail("devices: volume group %s does not exist, and no devices were given to create it" % self.vg)
        # Every check passes before the first write.
        to_wipe = self.check_devices(devices, pvs)
        if not before["pool"]:
            self.check_ownership(before["lvs"])
        for arg in ("data_size", "metadata_size"):
            try:
                lvmlib.size_args(p[arg])
            except lvmlib.LvmError as e:
                self.fail("%s: %s" % (arg, e))
        if not 1 <= p["autoextend_percent"] <= 1000:
            self.fail("autoextend_percent: %d is out of range (1 to 1000)" % p["autoextend_percent"])
        if not 50 <= p["autoextend_threshold"] <= 100:
            self.fail("autoextend_threshold: %d is out of range (50 to 100; 100 turns autoextension off)"
                      % p["autoextend_threshold"])

        for dev in to_wipe:
            self.do(["wipefs", "--all", dev])
        for dev in devices:
            real = os.path.realpath(dev)
            if pvs.get(dev, pvs.get(real)) is None:
                self.do(["pvcreate", real])
        if not before["vg"]:
            self.do(["vgcreate", self.vg] + [os.path.realpath(d) for d in devices])
        else:
            missing = [os.path.realpath(d) for d in devices if pvs.get(d, pvs.get(os.path.realpath(d))) != self.vg]
            if missing:
                self.do(["vgextend", self.vg] + missing)

        lvs = before["lvs"]
        if not before["pool"]:
            if self.pool not in lvs:
                self.do(["lvcreate", "--yes", "--wipesignatures", "y", "--addtag", TAG, "-n", self.pool, self.vg]
                        + lvmlib.size_args(p["data_size"]))
            if self.meta not in lvs:
                self.do(["lvcreate", "--yes", "--wipesignatures", "y", "--addtag", TAG, "-n", self.meta, self.vg]
                        + lvmlib.size_args(p["metadata_size"]))
            self.do(["lvconvert", "-y", "--zero", "n", "-c", p["chunk_size"], "--thinpool",
                     "%s/%s" % (self.vg, self.pool), "--poolmetadata", "%s/%s" % (self.vg, self.meta)])
        else:
            have = int(before["pool"].get("chunk_size") or 0)
            if have and have != to_bytes(p["chunk_size"]):
                self.warnings.append("the pool's chunk size is %d bytes, not %s: LVM cannot change it on an existing "
                                     "pool" % (have, p["chunk_size"]))

        wanted = profile_text(p["autoextend_threshold"], p["autoextend_percent"])
        current = None
        if os.path.exists(self.profile_path):
            with open(self.profile_path) as f:
                current = f.read()
        if current != wanted:
            self.commands.append("write %s" % self.profile_path)
            self.changed = True
            if not self.m.check_mode:
                self.write_profile(wanted)
        # Only a pool made in this run needs reading: an existing one was read above.
        after = self.state() if not self.m.check_mode and not before["pool"] else before
        pool = after["pool"] or {}
        if pool.get("lv_profile") != self.profile:
            self.do(["lvchange", "--metadataprofile", self.profile, "%s/%s" % (self.vg, self.pool)])
        if p["monitor"] and pool.get("seg_monitor") != "monitored":
            self.do(["lvchange", "--monitor", "y", "%s/%s" % (self.vg, self.pool)])
        if self.changed:
            after = self.planned(before) if self.m.check_mode else self.state()
        return before, after

    def write_profile(self, text):
        _files.write_atomic(self.m, self.profile_path, text.encode("utf-8"))

    # -- absent ---------------------------------------------------------
    def engine_pool(self):
        """The devicemapper pool the running engine uses, None when no engine answers or it is on another driver."""
        info = _docker_engine.info(self.m)[0]
        if not info or info.get("Driver") != "devicemapper":
            return None
        return _docker_engine.driver_status(info).get("Pool Name")

    def configs_naming_pool(self):
        """(path, value) of every dm.thinpooldev in engine_configs that names this pool."""
        paths = []
        for path in self.m.params["engine_configs"]:
            if os.path.isdir(path):
                paths.extend(sorted(glob.glob(os.path.join(path, "*.json"))))
            elif os.path.exists(path):
                paths.append(path)
        found = []
        for path in paths:
            try:
                config = _daemon_json.load(path, "engine_configs:")
            except _daemon_json.DaemonJsonError as e:
                self.fail("%s, so whether it names %s is unknown; nothing was removed" % (e, self.device))
            opts = config.get("storage-opts")
            for opt in opts if isinstance(opts, list) else []:
                key, _sep, value = str(opt).partition("=")
                if key.strip() == "dm.thinpooldev" and os.path.basename(value.strip()) == self.dm_name:
                    found.append((path, opt))
        return found

    def absent(self):
        before = self.state()
        if not before["pool"]:
            return before, before
        named = self.configs_naming_pool()
        if named:
            self.fail("%s/%s is named by %s: an engine started with it gone would not come up. Nothing was removed. "
                      "Move the engine off devicemapper first (dockerops.host.docker_storage), then remove the pool."
                      % (self.vg, self.pool, "; ".join("%s (%s)" % (path, opt) for path, opt in named)))
        in_use = self.engine_pool()
        if in_use == self.dm_name:
            self.fail("the running Docker engine uses %s/%s (Pool Name %s): move it off devicemapper first"
                      % (self.vg, self.pool, in_use))
        attr = before["pool"].get("lv_attr", "")
        if len(attr) > 5 and attr[5] == "o":
            self.fail("%s/%s is open (in use); refusing to remove it" % (self.vg, self.pool))
        self.do(["lvremove", "--yes", "%s/%s" % (self.vg, self.pool)])
        if os.path.exists(self.profile_path):
            self.commands.append("remove %s" % self.profile_path)
            if not self.m.check_mode:
                os.remove(self.profile_path)
        after = self.state() if not self.m.check_mode else dict(before, pool=None)
        return before, after


def main():
    module = AnsibleModule(
        argument_spec=dict(
            vg=dict(type="str", default="docker"),
            pool=dict(type="str", default="thinpool"),
            devices=dict(type="list", elements="path", default=[]),
            data_size=dict(type="str", default="95%VG"),
            metadata_size=dict(type="str", default="1%VG"),
            chunk_size=dict(type="str", default="512K"),
            autoextend_threshold=dict(type="int", default=80),
            autoextend_percent=dict(type="int", default=20),
            profile=dict(type="str"),
            monitor=dict(type="bool", default=True),
            wipe_signatures=dict(type="bool", default=False),
            engine_configs=dict(type="list", elements="path",
                                default=["/etc/docker/daemon.json", "/etc/docker/dockerops.d"]),
            state=dict(type="str", default="present", choices=["present", "absent"]),
        ),
        supports_check_mode=True,
    )
    tp = ThinPool(module, lvmlib.Lvm(module))
    tp.check_names()
    try:
        before, after = tp.present() if module.params["state"] == "present" else tp.absent()
    except lvmlib.LvmError as e:
        module.fail_json(msg=to_native(e), rc=e.rc, stderr=e.stderr, commands=tp.commands)
    result = dict(changed=tp.changed, pool=tp.summary(after), commands=tp.commands, warnings_found=tp.warnings)
    for w in tp.warnings:
        module.warn(w)
    if module._diff:
        result["diff"] = dict(before=tp.summary(before), after=tp.summary(after))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
