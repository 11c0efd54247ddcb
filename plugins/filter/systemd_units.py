# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE: the filters here whose names start with _ are internal to this collection's roles and playbooks, not public
API; they are undocumented in ansible-doc and may change without notice.

Reads the output of `systemctl show --property Id,UnitFileState,ActiveState UNIT...` and lists the units that are
not both enabled and active, in the order systemctl printed them.

A unit systemctl does not know is listed too, so that starting it reports systemd's own error.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def _units(text):
    units, current = [], {}
    for line in (text or "").splitlines() + [""]:
        if not line.strip():
            if current:
                units.append(current)
            current = {}
            continue
        key, _sep, value = line.partition("=")
        current[key] = value
    return units


def systemd_units_to_start(show_output, wanted=None):
    units = _units(show_output)
    seen = [u.get("Id", "") for u in units]
    pending = [u.get("Id", "") for u in units
               if u.get("UnitFileState") != "enabled" or u.get("ActiveState") != "active"]
    # A name systemctl printed nothing for (it prints a block for every name, so this is defensive).
    pending += [w for w in (wanted or []) if w not in seen and w + ".service" not in seen]
    return pending


class FilterModule(object):
    def filters(self):
        return {
            "_systemd_units_to_start": systemd_units_to_start,
        }
