# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: kernel_params
short_description: The kernel parameters the kernel_params role sets
description:
  - C(kernel_params_plan) takes C(kernel_params_extra) and the switches C(bridge_nf) and C(kubernetes), and returns
    C({wanted, bad}) - the parameters to set (the bridge-nf ones, C(net.ipv4.ip_forward), then the extra ones, which
    win a name), and the names of the extra parameters whose value is a list, a mapping or null.
  - Checking them against the kernel is the module M(dockerops.host.sysctl_check)'s.
author: dockerops.host maintainers (@dockerops)
"""

from ansible_collections.dockerops.host.plugins.plugin_utils import kernel_params


class FilterModule(object):
    def filters(self):
        return {
            "kernel_params_plan": kernel_params.plan,
        }
