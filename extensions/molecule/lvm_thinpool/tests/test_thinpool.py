"""Verify the thin pool lvm_thinpool built on the VM's spare disk, read with LVM's own tools."""

import json
import os

import testinfra.utils.ansible_runner

testinfra_hosts = testinfra.utils.ansible_runner.AnsibleRunner(
    os.environ["MOLECULE_INVENTORY_FILE"]).get_hosts("all")


def lv(host, name):
    out = host.check_output("lvs --reportformat json -o lv_name,vg_name,segtype,seg_monitor,lv_profile,chunk_size,"
                            "zero,data_percent --units b --nosuffix %s" % name)
    rows = json.loads(out)["report"][0]["lv"]
    assert len(rows) == 1
    return rows[0]


def test_pool_shape(host):
    pool = lv(host, "docker/thinpool")
    assert pool["segtype"] == "thin-pool"
    assert pool["seg_monitor"] == "monitored"
    assert pool["lv_profile"] == "docker-thinpool"
    assert int(pool["chunk_size"]) == 512 * 1024
    assert pool["zero"] in ("", "0"), "created with --zero n"


def test_pool_on_the_spare_disk(host):
    pvs = json.loads(host.check_output("pvs --reportformat json -o pv_name,vg_name"))["report"][0]["pv"]
    assert {"pv_name": "/dev/vdb", "vg_name": "docker"} in pvs
    assert host.file("/dev/mapper/docker-thinpool").exists


def test_autoextend_profile(host):
    f = host.file("/etc/lvm/profile/docker-thinpool.profile")
    assert (f.user, f.mode) == ("root", 0o644)
    text = f.content_string
    assert "thin_pool_autoextend_threshold=80" in text
    assert "thin_pool_autoextend_percent=20" in text


def test_second_pool_was_removed(host):
    assert host.run("lvs docker2/thinpool").rc != 0
    assert not host.file("/etc/lvm/profile/docker2-thinpool.profile").exists
