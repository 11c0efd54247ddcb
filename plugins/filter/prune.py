# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE: the filters here whose names start with _ are internal to this collection's roles and playbooks, not public
API; they are undocumented in ansible-doc and may change without notice.

`_docker_prune_candidates(now, images_older_than, containers, builder_cache)` lists, from the engine's `/system/df`
answer, what a prune would remove by Docker's own rules (dangling images, or every unused image older than N hours;
stopped containers; unused build cache) with sizes, and an estimate of the bytes freed.

`_docker_prune_reclaimed` sums community.docker.docker_prune's `*_space_reclaimed` results.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


from ansible_collections.dockerops.host.plugins.plugin_utils import _prune as prune
from ansible_collections.dockerops.host.plugins.plugin_utils._filters import raising_filter_errors


class FilterModule(object):
    def filters(self):
        return {
            "_docker_prune_candidates": raising_filter_errors(prune.candidates, (prune.PruneError,)),
            "_docker_prune_reclaimed": raising_filter_errors(prune.reclaimed, (prune.PruneError,)),
        }
