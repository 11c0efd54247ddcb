# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: prune
short_description: What the prune playbook removes, and what it reclaimed
description:
  - C(docker_prune_candidates(now, images_older_than, containers, builder_cache)) lists, from the engine's
    C(/system/df) answer, what a prune would remove by Docker's own rules (dangling images, or every unused image
    older than N hours; stopped containers; unused build cache) with sizes, and an estimate of the bytes freed.
  - C(docker_prune_reclaimed) sums community.docker.docker_prune's C(*_space_reclaimed) results.
author: dockerops.host maintainers (@dockerops)
"""

from ansible_collections.dockerops.host.plugins.plugin_utils import prune
from ansible_collections.dockerops.host.plugins.plugin_utils.filters import raising_filter_errors


class FilterModule(object):
    def filters(self):
        return {
            "docker_prune_candidates": raising_filter_errors(prune.candidates, (prune.PruneError,)),
            "docker_prune_reclaimed": raising_filter_errors(prune.reclaimed, (prune.PruneError,)),
        }
