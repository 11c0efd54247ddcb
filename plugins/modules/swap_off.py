#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: swap_off
short_description: Turn swap off now and at boot, as the kubelet asks, refusing when the swap in use does not fit in memory
description:
  - The kubelet does not start with swap on unless it is configured for it (C(failSwapOn), Kubernetes' NodeSwap).
    This module turns every active swap area off (C(swapoff)), comments out the swap lines of O(fstab) (with a
    backup) and masks the host's swap units (C(systemctl mask)), so that no swap comes back at boot.
  - zram swap is set up at boot without an fstab line, so with O(mask_units) the zram generators are masked too.
    Systemd's C(zram-generator) (in C(/usr/lib/systemd/system-generators) or C(/lib/systemd/system-generators)) is
    masked by a link from C(/etc/systemd/system-generators/zram-generator) to C(/dev/null), which systemd then runs
    instead (a file already there is left alone). zram-tools' C(zramswap.service) and zram-config's
    C(zram-config.service), where C(systemctl list-unit-files) lists them, are masked with C(systemctl mask).
  - Before anything is changed, the swap in use (C(/proc/swaps)) must fit in C(MemAvailable) with 10 % of
    C(MemTotal) left over (C(/proc/meminfo)). C(swapoff) moves every swapped page back into memory; where they do
    not fit, the kernel's OOM killer stops processes, containers included. The module then refuses, naming both
    figures and nothing changed, unless O(force).
  - The swap areas are turned off first; if one fails, the module fails with C(swapoff)'s words and nothing is
    written, so the next boot is as before.
  - A host where systemd is not PID 1 (no C(/run/systemd/system), as in most containers) has no swap units and
    runs no generators; the unit and generator steps are then skipped (nothing is masked).
version_added: 0.1.0
author: dockerops.host maintainers (@dockerops)
options:
  fstab:
    description: The file system table whose swap lines are commented out.
    type: path
    default: /etc/fstab
  backup:
    description: Keep a copy of O(fstab) (C(fstab.NNNN.YYYY-MM-DD@HH:MM:SS~), beside it) before changing it.
    type: bool
    default: true
  mask_units:
    description: Mask every swap unit C(systemctl) lists (as C(systemctl mask UNIT)) and the zram generators (see
      the description), so that no generator or unit file brings swap back at boot.
    type: bool
    default: true
  force:
    description:
      - Turn swap off even when the swap in use does not fit in memory (see the description). Processes may be
        killed by the kernel.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: Reports what would be turned off, commented out and masked; changes nothing.
  diff_mode:
    support: full
    description: The change to O(fstab).
notes:
  - For a host that must keep swap (NodeSwap), do not use this module; configure the kubelet for swap instead.
  - Swap lines it commented out start with C(#dockerops.host.swap_off#); remove that to bring one back (and
    C(systemctl unmask) its unit).
"""

EXAMPLES = r"""
- name: No swap, now and at boot
  dockerops.host.swap_off:

- name: Say what it would do
  dockerops.host.swap_off:
  check_mode: true
  register: swap_plan
"""

RETURN = r"""
active:
  description: The swap areas that were active (from C(/proc/swaps)) when the module started.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: The device or file.
      type: str
    type:
      description: C(partition) or C(file).
      type: str
    size_kib:
      description: Its size, KiB.
      type: int
    used_kib:
      description: How much of it was in use, KiB.
      type: int
    priority:
      description: Its priority.
      type: int
swapped_off:
  description: The swap areas turned off (in check mode, that would be).
  returned: always
  type: list
  elements: str
fstab_lines:
  description: The lines of O(fstab) commented out (in check mode, that would be).
  returned: always
  type: list
  elements: str
masked_units:
  description: The swap units masked (in check mode, that would be).
  returned: always
  type: list
  elements: str
masked_generators:
  description: The generator masks created (in check mode, that would be), that is
    C(/etc/systemd/system-generators/zram-generator) or none.
  returned: always
  type: list
  elements: str
backup_file:
  description: The copy of O(fstab) made before it was changed.
  returned: when O(fstab) changed and O(backup)
  type: str
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native
from ansible_collections.dockerops.host.plugins.module_utils import _files, _swap

PROC = "/proc"
# The root the generator paths are looked up under, a temporary tree in the unit tests.
ROOT = ""
# Present when systemd is PID 1 (sd_booted).
SYSTEMD_RUN = "/run/systemd/system"


def read(module, path):
    try:
        with open(path) as f:
            return f.read()
    except (IOError, OSError) as e:
        module.fail_json(msg="Could not read %s: %s" % (path, to_native(e)))


def run(module, argv):
    rc, out, err = module.run_command(argv)
    if rc != 0:
        module.fail_json(msg="%s failed: %s" % (" ".join(argv), (err or out).strip() or "exit status %d" % rc),
                         rc=rc, stdout=out, stderr=err, cmd=argv)
    return out


def main():
    module = AnsibleModule(
        argument_spec=dict(
            fstab=dict(type="path", default="/etc/fstab"),
            backup=dict(type="bool", default=True),
            mask_units=dict(type="bool", default=True),
            force=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    p = module.params
    areas = _swap.parse_swaps(read(module, PROC + "/swaps"))
    fits, used, room = _swap.fits_in_memory(areas, _swap.parse_meminfo(read(module, PROC + "/meminfo")))
    if areas and not fits and not p["force"]:
        module.fail_json(
            msg="Swap in use (%d MiB on %s) does not fit in the memory available (%d MiB, keeping %d %% of the "
                "total): swapoff would have the kernel kill processes, containers included. Nothing was changed. "
                "Free memory first, or set force: true (for the k8s_node role: k8s_node_swap_force: true) to accept "
                "it."
                % (used // 1024, ", ".join(a["path"] for a in areas), max(room, 0) // 1024, _swap.RESERVE_PERCENT),
            active=areas)

    fstab_text = read(module, p["fstab"]) if os.path.exists(p["fstab"]) else ""
    new_fstab, fstab_lines = _swap.fstab_swap_lines(fstab_text)

    # Units and generators only where systemd is PID 1: elsewhere (a container) no generator runs at boot.
    systemd = p["mask_units"] and os.path.isdir(SYSTEMD_RUN)
    systemctl = module.get_bin_path("systemctl") if systemd else None
    units = []
    if systemctl:
        units = _swap.units_to_mask(_swap.swap_units(run(module, [
            systemctl, "list-units", "--type", "swap", "--all", "--plain", "--no-legend", "--no-pager"])))
        argv = [systemctl, "list-unit-files", "--no-legend", "--plain", "--no-pager", "--"] + list(_swap.ZRAM_SERVICES)
        rc, out, err = module.run_command(argv)
        if rc != 0 and not (rc == 1 and not out.strip() and not err.strip()):  # 1, silent: none is installed
            module.fail_json(msg="%s failed: %s" % (" ".join(argv), (err or out).strip() or "exit status %d" % rc),
                             rc=rc, stdout=out, stderr=err, cmd=argv)
        units += _swap.zram_services_to_mask(out)
    generator = _swap.zram_generator_to_mask(ROOT) if systemd else None
    generators = [generator] if generator else []

    result = dict(changed=bool(areas or fstab_lines or units or generators), active=areas,
                  swapped_off=[a["path"] for a in areas], fstab_lines=fstab_lines, masked_units=units,
                  masked_generators=generators)
    if fstab_lines and module._diff:
        result["diff"] = dict(before=fstab_text, after=new_fstab, before_header=p["fstab"], after_header=p["fstab"])
    if module.check_mode:
        module.exit_json(**result)

    swapoff = module.get_bin_path("swapoff", required=True) if areas else None
    for area in areas:
        run(module, [swapoff, area["path"]])
    if fstab_lines:
        if p["backup"]:
            result["backup_file"] = module.backup_local(p["fstab"])
        _files.write_atomic(module, p["fstab"], new_fstab.encode("utf-8"))
    if units:
        run(module, [systemctl, "mask", "--"] + units)
    for path in generators:
        try:
            if not os.path.isdir(ROOT + os.path.dirname(path)):
                os.makedirs(ROOT + os.path.dirname(path), 0o755)
            os.symlink("/dev/null", ROOT + path)
        except (IOError, OSError) as e:
            module.fail_json(msg="Could not mask %s (a link to /dev/null): %s" % (path, to_native(e)), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
