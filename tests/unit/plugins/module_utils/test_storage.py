import json
import os

import pytest

from ansible_collections.dockerops.host.plugins.module_utils import storage

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "docker_info")


def info(name):
    with open(os.path.join(FIXTURES, name + ".json")) as f:
        return json.load(f)


@pytest.mark.parametrize("text, value", [("229.9MB", 229900000), ("107.4GB", 107400000000), ("151.6kB", 151600),
                                         ("0B", 0), ("n/a", None), (None, None)])
def test_parse_size_decimal_units(text, value):
    assert storage.parse_size(text) == value


def test_loop_lvm_is_recognised_with_its_files_and_use():
    dm = storage.devicemapper_facts(info("devicemapper-loop-20.10"))
    assert dm["loop_lvm"] is True
    assert dm["loop_file_paths"] == ["/var/lib/docker/devicemapper/devicemapper/data",
                                     "/var/lib/docker/devicemapper/devicemapper/metadata"]
    assert dm["data_percent"] == 0.21 and dm["metadata_percent"] == 0.81


def test_direct_lvm_is_not_loop_lvm():
    dm = storage.devicemapper_facts(info("devicemapper-direct-20.10"))
    assert dm["loop_lvm"] is False and dm["loop_file_paths"] == []
    assert dm["pool_name"] == "docker-thinpool"
    assert dm["data_percent"] == 0.49 and dm["deferred_removal"] is True


def test_overlay2_status():
    st = storage.driver_status(info("overlay2-20.10"))
    assert st["Supports d_type"] == "true" and st["Backing Filesystem"] == "extfs"


@pytest.mark.parametrize("version, has", [("20.10.24+dfsg1", True), ("24.0.9", True), ("25.0.0", False),
                                          ("26.1.5+dfsg1", False), ("28.3.2", False)])
def test_engine_has_devicemapper_until_25(version, has):
    assert storage.engine_has_devicemapper(version) is has


@pytest.mark.parametrize("release, ok", [
    ("6.1.0-50-amd64", True), ("4.0.0", True), ("3.19.0-80-generic", False),
    ("3.10.0-514.el7.x86_64", True), ("3.10.0-1160.119.1.el7.x86_64", True), ("3.10.0-327.el7.x86_64", False),
])
def test_kernel_rules(release, ok):
    assert storage.kernel_supports_overlay2(release)[0] is ok


def test_loop_file_sizes(tmp_path):
    sparse = tmp_path / "data"
    with open(str(sparse), "wb") as f:
        f.truncate(100 * 1024 ** 3)  # 100 GiB apparent, nothing allocated: as loop-lvm's data file starts
        f.write(b"x" * 4096)
    lf = storage.loop_file(str(sparse))
    assert lf["apparent_bytes"] == 100 * 1024 ** 3
    assert 0 < lf["allocated_bytes"] < 1024 ** 2
    assert storage.loop_file(str(tmp_path / "gone"))["exists"] is False


@pytest.mark.parametrize("fstype, ftype, ok, reason", [
    ("ext4", None, True, "data root on ext4"),
    ("xfs", 1, True, "data root on xfs with ftype=1"),
    ("xfs", 0, False, "overlay2 needs ftype=1 (d_type)"),
    ("nfs4", None, False, "data root on nfs4, which overlay2 cannot use"),
])
def test_overlay2_support_by_file_system(fstype, ftype, ok, reason):
    supported, reasons = storage.overlay2_support("6.1.0", "nodev\toverlay\n", False, fstype, ftype)
    assert supported is ok
    assert any(reason in r for r in reasons)


def test_overlay2_needs_the_file_system_or_its_module():
    assert storage.overlay2_support("6.1.0", "nodev\tproc\n", True, "ext4", None)[0] is True
    supported, reasons = storage.overlay2_support("6.1.0", "nodev\tproc\n", False, "ext4", None)
    assert supported is False and "neither loaded nor available as a module" in reasons[1]


def test_old_kernel_is_named():
    supported, reasons = storage.overlay2_support("3.13.0-170-generic", "nodev\toverlay\n", True, "ext4", None)
    assert supported is False and reasons[0] == "kernel 3.13.0-170-generic is older than 4.0"


def test_xfs_ftype_from_xfs_info():
    out = "meta-data=/dev/vdb isize=512 agcount=4\nnaming   =version 2              bsize=4096   ascii-ci=0, ftype=1\n"
    assert storage.xfs_ftype(out) == 1
    assert storage.xfs_ftype("no such thing") is None
