# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE: shared by this collection's filters and playbooks (controller side); not a public API, may change without notice.

What only a fleet tool can see: hosts whose machine identity repeats another's.

kubeadm's installation guide asks for a unique product_uuid and unique MAC addresses on every node; a VM cloned
from a template keeps both, and the cluster then misbehaves in ways that are hard to trace (the kubelet's node
identity, pod networking). Each host's identity is read by the audit play (the DMI product_uuid, and the MAC
addresses of its network adapters from the setup module's network facts); this module compares them across
the fleet on the controller.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# Interfaces that are not the host's adapters: the engine's and CNI plugins' bridges and veth pairs, tunnels,
# and the kernel's own (their MACs are random or shared by design).
_VIRTUAL = re.compile(r"^(lo|veth|docker|br-|virbr|vnet|cni|flannel|cali|vxlan|tunl|tun|tap|ifb|dummy|kube-|weave|"
                      r"cilium|lxc|genev|nodelocaldns|wg)")
_MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# What a host is told when another host shares its DMI product_uuid, or one of its MAC addresses.
_SHARED_UUID = ("product_uuid %s is also the one of %s (a cloned VM?): kubeadm needs it unique on every node; give the VM "
                "a new one in the hypervisor")
_SHARED_MAC = ("MAC address %s is also on %s (a cloned VM?): kubeadm needs unique MAC addresses on every node; give the "
               "adapter a new one in the hypervisor")


class AuditFleetError(ValueError):
    pass


def identity(facts, product_uuid):
    """dict(product_uuid, macs) of one host: the DMI product_uuid as read from /sys/class/dmi/id/product_uuid
    (None when unreadable or not a UUID), and the sorted MAC addresses of its Ethernet adapters from the setup
    module's network facts (ansible_facts: `interfaces` and one dict per interface with `type` and
    `macaddress`; without the ansible_ prefix, as ansible_facts holds them)."""
    if not isinstance(facts, dict):
        raise AuditFleetError("facts must be a dict, got %r" % type(facts).__name__)
    uuid = (product_uuid or "").strip().lower()
    macs = set()
    for name in facts.get("interfaces") or []:
        if _VIRTUAL.match(name):
            continue
        iface = facts.get(name.replace("-", "_")) or {}
        mac = (iface.get("macaddress") or "").lower()
        if iface.get("type") == "ether" and _MAC.match(mac) and mac != "00:00:00:00:00:00":
            macs.add(mac)
    return dict(product_uuid=uuid if _UUID.match(uuid) else None, macs=sorted(macs))


def duplicates(identities):
    """{host: [action text, ...]} for every host sharing its product_uuid or a MAC address with another host.
    identities: {host: identity() or None}; a host without one (a container, a host not read) is not compared."""
    if not isinstance(identities, dict):
        raise AuditFleetError("identities must be a dict of host to identity, got %r" % type(identities).__name__)
    by_uuid, by_mac = {}, {}
    for host in sorted(identities):
        ident = identities[host] or {}
        if ident.get("product_uuid"):
            by_uuid.setdefault(ident["product_uuid"], []).append(host)
        for mac in ident.get("macs") or []:
            by_mac.setdefault(mac, []).append(host)
    out = {}
    for shared, message in ((by_uuid, _SHARED_UUID), (by_mac, _SHARED_MAC)):
        for value, hosts in sorted(shared.items()):
            for host in hosts if len(hosts) > 1 else []:
                out.setdefault(host, []).append(message % (value, ", ".join(h for h in hosts if h != host)))
    return out
