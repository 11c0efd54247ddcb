# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE: the kernel parameters the kernel_params role sets, from its variables (the kernel_params_plan filter).
Reading and checking the kernel is module_utils/_sysctl.py's (the sysctl_check module)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import numbers

# kernel_params_bridge_nf: bridged traffic goes through iptables (docker info warns without them).
BRIDGE_NF = (("net.bridge.bridge-nf-call-iptables", 1), ("net.bridge.bridge-nf-call-ip6tables", 1))
# kernel_params_kubernetes: kubeadm's preflight wants IPv4 forwarding on.
KUBERNETES = (("net.ipv4.ip_forward", 1),)


def plan(extra, bridge_nf=True, kubernetes=False):
    """{wanted, bad}: wanted, the parameters to set (bridge-nf's when bridge_nf, IPv4 forwarding when kubernetes,
    then kernel_params_extra's, which win a name); bad, the names in extra whose value is not a single value (a
    number, a boolean or a string) but a list, a mapping or null, in extra's order. The switches are read as
    Jinja's `if` read them (truthiness)."""
    extra = extra or {}
    wanted = dict((BRIDGE_NF if bridge_nf else ()) + (KUBERNETES if kubernetes else ()))
    wanted.update(extra)
    bad = [name for name, value in extra.items() if not isinstance(value, (numbers.Number, str))]
    return dict(wanted=wanted, bad=bad)
