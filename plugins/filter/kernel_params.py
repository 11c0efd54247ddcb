# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE: internal to the kernel_params role, not public API; undocumented in ansible-doc and may change without
notice.

`_kernel_params_plan` takes `kernel_params_extra` and the switches `bridge_nf` and `kubernetes`, and returns
`{wanted, bad}`: the parameters to set (the bridge-nf ones, `net.ipv4.ip_forward`, then the extra ones, which win a
name), and the names of the extra parameters whose value is a list, a mapping or null. Checking them against the
kernel is the module dockerops.host.sysctl_check's.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


from ansible_collections.dockerops.host.plugins.plugin_utils import _kernel_params as kernel_params


class FilterModule(object):
    def filters(self):
        return {
            "_kernel_params_plan": kernel_params.plan,
        }
