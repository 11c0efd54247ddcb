# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: docker_subids_missing
short_description: Users without enough subordinate IDs for rootless Docker
description:
  - Given users and the texts of C(/etc/subuid) and C(/etc/subgid), lists the users that lack a range of at least
    C(count) IDs (65,536 by default) in either file.
author: dockerops.host maintainers (@dockerops)
"""

ROOTLESS_IDS = 65536


def _ranges(text):
    out = {}
    for line in (text or "").splitlines():
        fields = line.strip().split(":")
        if len(fields) == 3 and fields[2].isdigit():
            out[fields[0]] = max(out.get(fields[0], 0), int(fields[2]))
    return out


def docker_subids_missing(users, subuid_text, subgid_text, count=ROOTLESS_IDS):
    uids, gids = _ranges(subuid_text), _ranges(subgid_text)
    return [u for u in users if uids.get(u, 0) < count or gids.get(u, 0) < count]


class FilterModule(object):
    def filters(self):
        return {
            "docker_subids_missing": docker_subids_missing,
        }
