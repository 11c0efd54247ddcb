# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE: shared by this collection's modules; not a public API, may change without notice.

LVM and block-device inspection for the thin-pool module.

Reads use LVM's JSON reports (lvm2 2.02.158 and later) and util-linux's
parsable outputs; every command is an argv list run through run_command.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import stat

LV_FIELDS = ("lv_name,vg_name,lv_attr,segtype,lv_size,data_percent,metadata_percent,lv_profile,seg_monitor,chunk_size,"
             "lv_tags")
ENV = {"LANG": "C", "LC_ALL": "C", "LVM_SUPPRESS_FD_WARNINGS": "1"}


class LvmError(Exception):
    def __init__(self, msg, rc=None, stderr=None):
        super(LvmError, self).__init__(msg)
        self.rc, self.stderr = rc, stderr


class Lvm(object):
    def __init__(self, module):
        self.module = module
        self._bins = {}

    def bin(self, name):
        if name not in self._bins:
            self._bins[name] = self.module.get_bin_path(name, required=True)
        return self._bins[name]

    def run(self, argv, ok_rcs=(0,)):
        rc, out, err = self.module.run_command([self.bin(argv[0])] + list(argv[1:]), environ_update=ENV)
        if rc not in ok_rcs:
            raise LvmError("%s failed: %s" % (" ".join(argv), (err or out).strip()), rc=rc, stderr=err)
        return rc, out, err

    def report(self, cmd, fields, *args):
        dummy, out, dummy = self.run(
            [cmd, "--reportformat", "json", "--units", "b", "--nosuffix", "-o", fields] + list(args), ok_rcs=(0, 5))
        try:
            data = json.loads(out) if out.strip() else {"report": [{}]}
        except ValueError:
            raise LvmError("cannot read the JSON report of %s: %r" % (cmd, out[:200]))
        key = {"pvs": "pv", "vgs": "vg", "lvs": "lv"}[cmd]
        return [row for part in data.get("report", []) for row in part.get(key, [])]

    def pvs(self):
        return {row["pv_name"]: row.get("vg_name", "") for row in self.report("pvs", "pv_name,vg_name")}

    def vg(self, name):
        rows = [r for r in self.report("vgs", "vg_name,vg_size,vg_free") if r["vg_name"] == name]
        return rows[0] if rows else None

    def lvs(self, vg):
        """The LVs of vg; {} when it does not exist (lvs exits 5 then, which report() allows)."""
        return {r["lv_name"]: r for r in self.report("lvs", LV_FIELDS, "-a", vg) if r.get("vg_name") == vg}

    def signatures(self, device):
        """[(offset, type)] that wipefs finds on the device (listing only, nothing is erased)."""
        dummy, out, dummy = self.run(["wipefs", "--no-act", "--parsable", device])
        sigs = []
        for line in out.splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.split(",")
            sigs.append((fields[0], fields[-1]))
        return sigs

    def layout(self, device):
        """(partitions, mount points) of the device and its partitions, from one lsblk."""
        dummy, out, dummy = self.run(
            ["lsblk", "--noheadings", "--raw", "--paths", "--output", "NAME,TYPE,MOUNTPOINT", device])
        parts, mounts = [], []
        for line in out.splitlines():
            fields = line.split(" ", 2)
            if len(fields) < 2:
                continue
            if fields[1] == "part":
                parts.append(fields[0])
            if len(fields) == 3 and fields[2].strip():
                mounts.append(fields[2].strip())
        return parts, mounts


def dm_name(vg, lv):
    """The device-mapper name of vg/lv: each "-" inside a name is doubled, and one "-" joins them."""
    return "%s-%s" % (vg.replace("-", "--"), lv.replace("-", "--"))


def lv_tags(row):
    """The LVM tags of an lvs JSON row (lv_tags is comma-separated, empty without tags)."""
    return [t for t in (row.get("lv_tags") or "").split(",") if t]


def is_block_device(path):
    try:
        return stat.S_ISBLK(os.stat(path).st_mode)
    except OSError:
        return False


def size_args(size):
    """'95%VG' -> ['-l', '95%VG']; '10G' -> ['-L', '10G']."""
    size = str(size).strip()
    if re.match(r"^\d+%(VG|FREE|PVS)$", size, re.I):
        return ["-l", size]
    if re.match(r"^\d+(\.\d+)?[bBsSkKmMgGtTpPeE]?$", size):
        return ["-L", size]
    raise LvmError("size %r is neither a percentage (95%%VG, 80%%FREE) nor a size (10G)" % size)


def percent(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
