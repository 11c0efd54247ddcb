# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading a Docker host's storage: docker info's DriverStatus, loop files,
and what overlay2 needs from the kernel and the file system."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

# docker info prints sizes with go-units' HumanSize: decimal units.
_UNITS = {"b": 1, "kb": 1000, "mb": 1000 ** 2, "gb": 1000 ** 3, "tb": 1000 ** 4, "pb": 1000 ** 5}


def parse_size(text):
    m = re.match(r"^\s*([0-9.]+)\s*([kKmMgGtTpP]?[bB])\s*$", text or "")
    if not m:
        return None
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])


def version_tuple(text):
    nums = [int(n) for n in re.findall(r"\d+", (text or "").split("-")[0])[:3]]
    return tuple(nums + [0] * (3 - len(nums)))


def engine_has_devicemapper(version):
    """Docker Engine removed the devicemapper driver in 25.0."""
    return version_tuple(version) < (25, 0, 0)


def driver_status(info):
    return dict((k, v) for k, v in (info.get("DriverStatus") or []))


def devicemapper_facts(info):
    st = driver_status(info)
    data_used, data_total = parse_size(st.get("Data Space Used")), parse_size(st.get("Data Space Total"))
    meta_used, meta_total = parse_size(st.get("Metadata Space Used")), parse_size(st.get("Metadata Space Total"))
    loops = [st[k] for k in ("Data loop file", "Metadata loop file") if st.get(k)]
    return dict(
        pool_name=st.get("Pool Name"),
        loop_lvm=bool(loops),
        loop_file_paths=loops,
        data_file=st.get("Data file"),
        metadata_file=st.get("Metadata file"),
        data_used_bytes=data_used, data_total_bytes=data_total,
        data_percent=round(100.0 * data_used / data_total, 2) if data_used is not None and data_total else None,
        metadata_used_bytes=meta_used, metadata_total_bytes=meta_total,
        metadata_percent=round(100.0 * meta_used / meta_total, 2) if meta_used is not None and meta_total else None,
        deferred_removal=st.get("Deferred Removal Enabled") == "true",
    )


def loop_file(path):
    """Apparent and allocated size of a (sparse) loop file."""
    try:
        s = os.stat(path)
    except OSError as e:
        return dict(path=path, exists=False, error=os.strerror(e.errno))
    return dict(path=path, exists=True, apparent_bytes=s.st_size, allocated_bytes=s.st_blocks * 512)


def kernel_supports_overlay2(release):
    """(ok, reason): 4.0 or later, or RHEL/CentOS 3.10.0-514 or later."""
    ver = version_tuple(release)
    if ver >= (4, 0, 0):
        return True, "kernel %s is 4.0 or later" % release
    m = re.match(r"^3\.10\.0-(\d+)", release or "")
    if m and ".el" in release:
        if int(m.group(1)) >= 514:
            return True, "EL kernel %s is 3.10.0-514 or later" % release
        return False, "EL kernel %s is older than 3.10.0-514" % release
    return False, "kernel %s is older than 4.0" % release


def overlay_in_filesystems(text):
    return any(line.split()[-1] == "overlay" for line in (text or "").splitlines() if line.strip())


def xfs_ftype(xfs_info_output):
    m = re.search(r"ftype=(\d)", xfs_info_output or "")
    return int(m.group(1)) if m else None


def overlay2_support(release, filesystems_text, overlay_module_found, fstype, ftype):
    """(supported, [reasons]) for overlay2 on this host."""
    reasons = []
    ok_kernel, why = kernel_supports_overlay2(release)
    reasons.append(why)
    ok_fs = overlay_in_filesystems(filesystems_text) or overlay_module_found
    reasons.append("overlay file system %s" % ("available" if ok_fs else "neither loaded nor available as a module"))
    ok_dtype = True
    if fstype == "xfs":
        ok_dtype = ftype == 1
        reasons.append("data root on xfs with ftype=%s%s" % (ftype, "" if ok_dtype else ": overlay2 needs ftype=1 (d_type)"))
    elif fstype in ("nfs", "nfs4", "cifs", "fuse", "overlay", "aufs", "zfs"):
        ok_dtype = False
        reasons.append("data root on %s, which overlay2 cannot use as its backing file system" % fstype)
    elif fstype:
        reasons.append("data root on %s" % fstype)
    return ok_kernel and ok_fs and ok_dtype, reasons
