# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE: the filters here whose names start with _ are internal to this collection's roles and playbooks, not public
API; they are undocumented in ansible-doc and may change without notice.

Given users and the texts of `/etc/subuid` and `/etc/subgid`, lists the users that lack a range of at least `count`
IDs (65,536 by default) in either file.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


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
            "_docker_subids_missing": docker_subids_missing,
        }
