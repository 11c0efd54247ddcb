# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Private: the decisions of swap_off, on the texts the host gives (/proc/swaps, /proc/meminfo, /etc/fstab,
systemctl's list of swap units), so that the unit tests run them on recorded outputs
(tests/unit/fixtures/swap/README.md)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

# What swap_off writes before an fstab line it disables, so that a person (or a later run) can tell its lines from
# lines commented by hand.
FSTAB_MARK = "#dockerops.host.swap_off# "
_OCTAL = re.compile(r"\\([0-7]{3})")
# zram swap comes back at boot without an fstab line: systemd's zram-generator (Debian's systemd-zram-generator
# installs it under /lib, others under /usr/lib) makes a zram device and its swap unit at each boot, from
# zram-generator.conf; zram-tools' zramswap.service and Ubuntu's zram-config.service set one up themselves.
ZRAM_GENERATORS = ("/usr/lib/systemd/system-generators/zram-generator", "/lib/systemd/system-generators/zram-generator")
# A generator of the same name in /etc/systemd/system-generators overrides the packaged one; one linked to
# /dev/null is never run (systemd.generator(7)): the generator's mask.
ZRAM_GENERATOR_MASK = "/etc/systemd/system-generators/zram-generator"
ZRAM_SERVICES = ("zramswap.service", "zram-config.service")
# How much of MemTotal must stay available once the swap in use is back in memory.
RESERVE_PERCENT = 10


def unescape(field):
    r"""A path as /proc/swaps and fstab print it (space as \040, tab \011, newline \012, backslash \134)."""
    return _OCTAL.sub(lambda m: chr(int(m.group(1), 8)), field)


def parse_swaps(text):
    """The active swap areas of /proc/swaps: a list of dict(path, type, size_kib, used_kib, priority)."""
    areas = []
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) != 5:
            continue
        try:
            areas.append(dict(path=unescape(fields[0]), type=fields[1], size_kib=int(fields[2]),
                              used_kib=int(fields[3]), priority=int(fields[4])))
        except ValueError:
            continue
    return areas


def parse_meminfo(text):
    """/proc/meminfo as {name: kB}."""
    values = {}
    for line in text.splitlines():
        name, sep, rest = line.partition(":")
        fields = rest.split()
        if sep and fields and fields[0].isdigit():
            values[name.strip()] = int(fields[0])
    return values


def fits_in_memory(areas, meminfo):
    """(fits, used_kib, room_kib): whether the swap in use fits in MemAvailable with RESERVE_PERCENT of MemTotal
    left over, which swapoff needs (it moves every swapped page back into memory, and the OOM killer picks a
    process when they do not fit). Without MemAvailable (Linux < 3.14) MemFree is used."""
    used = sum(a["used_kib"] for a in areas)
    available = meminfo.get("MemAvailable", meminfo.get("MemFree", 0))
    room = available - meminfo.get("MemTotal", 0) * RESERVE_PERCENT // 100
    return used <= room, used, room


def fstab_swap_lines(text):
    """(new text, [disabled lines]): fstab with every active swap line (third field "swap") commented out after
    FSTAB_MARK; every other line kept byte for byte."""
    out, disabled = [], []
    for line in text.splitlines(True):
        fields = line.split()
        if len(fields) >= 3 and not fields[0].startswith("#") and fields[2] == "swap":
            disabled.append(line.rstrip("\n"))
            line = FSTAB_MARK + line
        out.append(line)
    return "".join(out), disabled


def swap_units(text):
    """The swap units `systemctl list-units --type swap --all --plain --no-legend --no-pager` lists, with their
    load state: a list of (unit, load). Masked units are listed with load "masked"."""
    units = []
    for line in text.splitlines():
        fields = line.split()
        if fields and fields[0] == "\u25cf":  # the bullet systemctl puts before a failed unit
            fields = fields[1:]
        if len(fields) >= 2 and fields[0].endswith(".swap"):
            units.append((fields[0], fields[1]))
    return units


def units_to_mask(units):
    """The swap units not masked yet, in systemctl's order."""
    return [unit for unit, load in units if load != "masked"]


def zram_generator_to_mask(root=""):
    """ZRAM_GENERATOR_MASK when zram-generator is installed and nothing is at the mask's path yet, else None. A file
    already there (masked, or the administrator's own generator of that name) is left alone."""
    if os.path.lexists(root + ZRAM_GENERATOR_MASK):
        return None
    if any(os.path.exists(root + path) for path in ZRAM_GENERATORS):
        return ZRAM_GENERATOR_MASK
    return None


def unit_files(text):
    """(unit, state) of each line of `systemctl list-unit-files --no-legend --plain --no-pager -- UNIT...` (UNIT
    FILE, STATE, PRESET). systemctl prints nothing and exits 1 when none of the units exists."""
    out = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 2:
            out.append((fields[0], fields[1]))
    return out


def zram_services_to_mask(text):
    """The zram services (ZRAM_SERVICES) systemctl list-unit-files lists and that are not masked yet."""
    return [unit for unit, state in unit_files(text) if unit in ZRAM_SERVICES and state != "masked"]
