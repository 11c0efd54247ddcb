"""audit_fleet: the machine identity of each host, and the hosts whose identity repeats another's."""

import json
import os

import pytest

from ansible_collections.dockerops.host.plugins.plugin_utils import _audit_fleet as audit_fleet

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "audit_fleet")


def recorded_facts():
    with open(os.path.join(FIXTURES, "setup_network_lab_machine.json")) as f:
        raw = json.load(f)["ansible_facts"]
    # As ansible_facts holds them in a play: without the ansible_ prefix.
    return {k[len("ansible_"):] if k.startswith("ansible_") else k: v for k, v in raw.items()}


def test_identity_keeps_the_adapter_and_drops_bridges_veths_ifbs_and_lo():
    ident = audit_fleet.identity(recorded_facts(), "")
    assert ident == {"product_uuid": None, "macs": ["02:fc:00:00:00:01"]}


def test_identity_reads_the_product_uuid_lowercased_and_stripped():
    ident = audit_fleet.identity({}, "4C4C4544-0042-3510-8052-B4C04F4E4D32\n")
    assert ident == {"product_uuid": "4c4c4544-0042-3510-8052-b4c04f4e4d32", "macs": []}


@pytest.mark.parametrize("text", ["", None, "Not Settable", "4c4c4544-0042-3510-8052"])
def test_identity_without_a_readable_uuid(text):
    assert audit_fleet.identity({}, text)["product_uuid"] is None


def test_identity_skips_zero_and_malformed_macs_and_non_ethernet():
    facts = {"interfaces": ["eth0", "eth1", "eth2", "ens3", "bond-x"],
             "eth0": {"type": "ether", "macaddress": "00:00:00:00:00:00"},
             "eth1": {"type": "ether", "macaddress": "52:54:00:12:34"},
             "eth2": {"type": "infiniband", "macaddress": "52:54:00:12:34:57"},
             "ens3": {"type": "ether", "macaddress": "52:54:00:AB:CD:EF"},
             "bond_x": {"type": "ether", "macaddress": "52:54:00:00:00:09"}}
    assert audit_fleet.identity(facts, None)["macs"] == ["52:54:00:00:00:09", "52:54:00:ab:cd:ef"]


def test_identity_refuses_what_is_not_facts():
    with pytest.raises(audit_fleet.AuditFleetError, match="facts must be a dict, got 'list'"):
        audit_fleet.identity([], "")


def test_duplicates_name_the_other_hosts_for_uuid_and_mac():
    uuid = "4c4c4544-0042-3510-8052-b4c04f4e4d32"
    found = audit_fleet.duplicates({
        "a": {"product_uuid": uuid, "macs": ["52:54:00:12:34:56"]},
        "b": {"product_uuid": uuid, "macs": ["52:54:00:12:34:56", "52:54:00:00:00:02"]},
        "c": {"product_uuid": uuid, "macs": ["52:54:00:00:00:03"]},
        "d": {"product_uuid": "11111111-2222-3333-4444-555555555555", "macs": ["52:54:00:00:00:02"]},
        "e": {"product_uuid": "66666666-2222-3333-4444-555555555555", "macs": ["52:54:00:00:00:05"]},
        "container": None,
    })
    assert sorted(found) == ["a", "b", "c", "d"]
    assert found["a"] == [
        "product_uuid %s is also the one of b, c (a cloned VM?): kubeadm needs it unique on every node; give the VM "
        "a new one in the hypervisor" % uuid,
        "MAC address 52:54:00:12:34:56 is also on b (a cloned VM?): kubeadm needs unique MAC addresses on every "
        "node; give the adapter a new one in the hypervisor"]
    assert [t.split(" (")[0] for t in found["b"]] == [
        "product_uuid %s is also the one of a, c" % uuid,
        "MAC address 52:54:00:00:00:02 is also on d",
        "MAC address 52:54:00:12:34:56 is also on a"]
    assert [t.split(" (")[0] for t in found["d"]] == ["MAC address 52:54:00:00:00:02 is also on b"]


def test_no_duplicates_in_a_fleet_of_distinct_or_unknown_identities():
    assert audit_fleet.duplicates({"a": {"product_uuid": None, "macs": []},
                                   "b": {"product_uuid": None, "macs": []},
                                   "c": None}) == {}


def test_duplicates_refuses_what_is_not_a_dict():
    with pytest.raises(audit_fleet.AuditFleetError, match="identities must be a dict of host to identity, got 'list'"):
        audit_fleet.duplicates([])
