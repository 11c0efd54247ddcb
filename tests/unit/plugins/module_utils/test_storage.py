import json
import os

import pytest

from ansible_collections.dockerops.host.plugins.module_utils import _storage as storage

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


# The decision, on recorded docker info outputs (tests/unit/fixtures/docker_info/README.md).
def engine(name, answered=True):
    i = info(name)
    return i, dict(answered=answered, storage_driver=i.get("Driver"), version=i.get("ServerVersion"),
                   image_store=storage.image_store(i),
                   has_devicemapper=storage.engine_has_devicemapper(i.get("ServerVersion")))


def decide(name, **kw):
    i, eng = engine(name)
    dm = storage.devicemapper_facts(i) if eng["storage_driver"] == "devicemapper" else {}
    kw.setdefault("pool", "docker-thinpool")
    return storage.decide(eng, dm, kw.pop("supported", True), **kw)


def test_image_store_read_from_driver_status():
    assert storage.image_store(info("overlayfs-containerd-28.5")) == "containerd"
    assert storage.image_store(info("overlay2-28.5")) == "graphdriver"
    assert storage.image_store(info("overlay2-20.10")) == "graphdriver"
    assert storage.image_store({"ServerErrors": ["Cannot connect"]}) is None


@pytest.mark.parametrize("name, wanted, store", [
    ("overlay2-28.5", "overlay2", "graphdriver"),
    ("overlay2-20.10", "overlay2", "graphdriver"),
    ("overlayfs-containerd-28.5", "overlayfs", "containerd"),
])
def test_auto_leaves_overlay_hosts_alone(name, wanted, store):
    d = decide(name)
    assert d["healthy"] is True and d["migrate"] is False and d["error"] is None
    assert d["wanted"] == wanted and d["image_store"] == store
    assert d["daemon_options"] == {"storage-driver": wanted}
    assert d["manage_pool"] is False


def test_containerd_store_never_gets_overlay2_in_daemon_json():
    # Recorded: Engine 28.5 with the containerd store and storage-driver overlay2
    # fails every image with "snapshotter not loaded: overlay2".
    for setting in ("auto", "overlay2"):
        d = decide("overlayfs-containerd-28.5", setting=setting)
        assert d["daemon_options"] == {"storage-driver": "overlayfs"} and d["migrate"] is False, setting


def test_store_asked_for_is_what_counts():
    # First converge on Engine 28: the engine still runs the graph driver, the
    # daemon configuration asks for the containerd store.
    d = decide("overlay2-28.5", containerd_store=True)
    assert d["wanted"] == "overlayfs" and d["migrate"] is False and d["healthy"] is True
    assert d["daemon_options"] == {"storage-driver": "overlayfs"}
    assert "images are not carried over" in d["reason"]
    # ... and the way back.
    d = decide("overlayfs-containerd-28.5", containerd_store=False)
    assert d["wanted"] == "overlay2" and d["migrate"] is False
    assert d["daemon_options"] == {"storage-driver": "overlay2"}


def test_direct_lvm_is_healthy_and_kept_on_its_own_pool():
    d = decide("devicemapper-direct-20.10", pool="othervg-otherpool")
    assert d["healthy"] is True and d["migrate"] is False and d["wanted"] == "devicemapper"
    assert d["manage_pool"] is False
    assert d["daemon_options"]["storage-opts"][0] == "dm.thinpooldev=/dev/mapper/docker-thinpool"


def test_loop_lvm_moves_under_auto():
    d = decide("devicemapper-loop-20.10")
    assert d["healthy"] is False and d["migrate"] is True and d["wanted"] == "overlay2"
    assert "loop-lvm" in d["reason"]
    d = decide("devicemapper-loop-20.10", supported=False)
    assert d["wanted"] == "devicemapper" and d["migrate"] is True and d["manage_pool"] is True
    assert d["daemon_options"]["storage-opts"][0] == "dm.thinpooldev=/dev/mapper/docker-thinpool"


def test_explicit_driver_that_differs_moves():
    d = decide("overlay2-20.10", setting="devicemapper")
    assert d["migrate"] is True and d["wanted"] == "devicemapper" and d["manage_pool"] is True
    d = decide("devicemapper-direct-20.10", setting="overlay2")
    assert d["migrate"] is True and d["wanted"] == "overlay2"
    d = decide("devicemapper-direct-20.10", setting="devicemapper", pool="vg2-pool")
    assert d["migrate"] is True and "vg2-pool" in d["reason"]
    assert decide("devicemapper-direct-20.10", setting="devicemapper")["migrate"] is False


def test_explicit_driver_that_cannot_work_is_refused():
    d = decide("overlayfs-containerd-28.5", setting="devicemapper")
    assert d["migrate"] is False and "removed in 25.0" in d["error"]
    d = decide("devicemapper-loop-20.10", setting="overlay2", supported=False)
    assert d["migrate"] is False and "not supported" in d["error"]


def test_engine_without_a_driver_is_never_moved():
    for eng in (dict(answered=False), dict(answered=True, storage_driver=None, version="20.10.24")):
        d = storage.decide(eng, {}, True, setting="devicemapper", pool="docker-thinpool")
        assert d["migrate"] is False and d["healthy"] is None


def test_an_installed_engine_that_does_not_answer_stops_the_role():
    # engine-down-20.10: the 20.10 CLI exited 0 with only ServerErrors; dockerd --version still gave the version.
    i = info("engine-down-20.10")
    eng = dict(answered=False, installed=True, storage_driver=None, version="20.10.24+dfsg1",
               error="; ".join(i["ServerErrors"]), has_devicemapper=True)
    for setting in ("auto", "overlay2", "devicemapper"):
        d = storage.decide(eng, {}, True, setting=setting, pool="docker-thinpool")
        assert d["migrate"] is False and d["healthy"] is None
        assert d["error"].startswith("Docker Engine 20.10.24+dfsg1 is installed but does not answer (Cannot connect")
        assert "nothing is decided or moved" in d["error"] and "systemctl start docker" in d["error"]
    # No engine installed (a fresh host, or check mode before the install): nothing to stop for.
    assert storage.decide(dict(answered=False, installed=False), {}, True)["error"] is None


def test_other_drivers_are_left_alone_by_auto():
    eng = dict(answered=True, storage_driver="btrfs", version="28.5.2", image_store="graphdriver",
               has_devicemapper=False)
    d = storage.decide(eng, {}, True)
    assert d["migrate"] is False and d["healthy"] is False and d["daemon_options"] == {}
    assert storage.decide(eng, {}, True, setting="overlay2")["migrate"] is True


# -- no upgrade across Engine 25 on a devicemapper host (recorded docker info of real engines) -----------------
@pytest.mark.parametrize("name", ["devicemapper-loop-20.10", "devicemapper-direct-20.10"])
@pytest.mark.parametrize("target, installed, refused", [
    ("28.5.2", None, True),
    ("25", "5:20.10.24~3-0~debian-bookworm", True),
    ("", None, True),            # the newest, replacing docker.io
    ("", "5:20.10.24~3-0~debian-bookworm", False),  # Docker CE installed, no pin: not upgraded
    ("24.0", None, False),
    ("20.10.24", None, False),
])
def test_upgrade_past_24_is_refused_on_devicemapper(name, target, installed, refused):
    msg = storage.upgrade_refusal(engine(name)[1], target, installed, "docker_install_ubuntu_version")
    assert bool(msg) is refused
    if refused:
        assert msg.startswith("docker_install_ubuntu_version=%s would install an engine without the devicemapper "
                              "storage driver (removed in Docker Engine 25.0), and this host's engine (20.10"
                              % (target or '"" (the newest)'))
        assert "Nothing was changed" in msg and "docker_storage_driver: overlay2" in msg


@pytest.mark.parametrize("name", ["overlay2-20.10", "overlay2-28.5", "overlayfs-containerd-28.5"])
def test_upgrade_is_not_refused_off_devicemapper(name):
    assert storage.upgrade_refusal(engine(name)[1], "28.5.2", None) == ""


def test_upgrade_is_not_refused_when_no_engine_answers():
    assert storage.upgrade_refusal(engine("engine-down-20.10", answered=False)[1], "28.5.2", None) == ""
    assert storage.upgrade_refusal(None, "28.5.2", None) == ""


# -- what a move leaves behind, from recorded docker CLI listings (tests/unit/fixtures/docker_cli/README.md) -----
CLI = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "docker_cli")


def listing(name):
    with open(os.path.join(CLI, name + ".jsonl")) as f:
        return storage.json_lines(f.read())


def test_at_risk_from_recorded_listings():
    risk = storage.at_risk(listing("ps-a-20.10"), listing("volume-ls-20.10"), listing("network-ls-20.10"),
                           listing("images-digests-20.10"), "inactive")
    assert risk["networks"] == ["rec-backend"]  # bridge, host and none are every engine's
    assert risk["digest_only_images"] == [
        "127.0.0.1:5055/lab/rec@sha256:ed8ceb65e5d9eecb6cacba1585d1c8f3149688431ab8415b5c6323e7d7c1e954"]
    assert risk["swarm"] is None
    losses, carried = storage.migration_losses(risk), storage.migration_carried(risk)
    assert losses == ["5 container(s), which do not come back: rec-running (running), rec-stopped (created), "
                      "el-refusal (running), el-test (running), el-stable (running)"]
    # 14 volumes: rec-pgdata and 13 anonymous ones (64 hex digits) of the lab's containers.
    assert "14 volume(s) with their data: rec-pgdata, 13 anonymous" in carried
    assert "1 user network(s): rec-backend" in carried
    assert carried[2].startswith("1 image(s) referenced only by digest, which come back tagged")


def test_a_host_with_volumes_networks_and_images_only_moves_without_the_opt_in():
    # Nothing is lost: the volumes, networks and images are carried over.
    risk = storage.at_risk([], listing("volume-ls-20.10"), listing("network-ls-20.10"),
                           listing("images-digests-20.10"), "inactive")
    assert storage.migration_losses(risk) == []
    assert storage.migration_refusal(storage.migration_losses(risk), "/var/lib/docker",
                                     carried=storage.migration_carried(risk)) == ""


def test_the_refusal_lists_losses_and_what_is_carried():
    risk = storage.at_risk(listing("ps-a-20.10")[:1], [], listing("network-ls-20.10"), [], "active")
    msg = storage.migration_refusal(storage.migration_losses(risk), "/var/lib/docker",
                                    carried=storage.migration_carried(risk))
    assert "Lost: 1 container(s), which do not come back: rec-running (running); swarm membership (node state " \
           "active)." in msg
    assert "Carried: 1 user network(s): rec-backend." in msg
    assert "set docker_storage_migrate_with_losses: true to go ahead" in msg and "Nothing was changed" in msg


def test_untagged_images_without_a_digest_are_not_digest_only():
    # docker build leftovers (dangling, <none>:<none> without a digest) are not lost by a move: they are garbage.
    rows = [r for r in listing("images-digests-20.10") if r["Repository"] == "<none>"]
    assert rows and storage.at_risk([], [], [], rows, "")["digest_only_images"] == []


def test_swarm_membership_is_a_loss():
    assert storage.migration_losses(storage.at_risk([], [], [], [], "active")) == ["swarm membership (node state active)"]


def test_nothing_at_risk_nothing_refused():
    assert storage.migration_refusal([], "/var/lib/docker") == ""
    assert storage.migration_refusal(["swarm membership (node state active)"], "/var/lib/docker", allowed=True) == ""


@pytest.mark.parametrize("images, free, refused", [(19070000, 50 * 10 ** 6, True), (19070000, 10 ** 9, False),
                                                   (None, 1, False), (19070000, None, False)])
def test_space_for_the_archive(images, free, refused):
    assert bool(storage.space_refusal(images, free, "/var/lib/dockerops-storage")) is refused



@pytest.mark.parametrize("target", ["5:28.5.2-1~debian.12~bookworm", "3:28.5.2-1.el9", "5:25.0.0-1~ubuntu.22.04~jammy"])
def test_an_exact_pin_with_an_epoch_is_read_past_its_epoch(target):
    # apt and rpm versions carry an epoch before ":"; it is not the engine's major version.
    assert storage.version_tuple(target)[0] in (25, 28)
    _i, eng = engine("devicemapper-loop-20.10")
    assert storage.upgrade_refusal(eng, target, None).startswith(target.join(["version=", " would install"]))


def test_an_engine_that_does_not_answer_is_judged_by_its_configured_driver():
    down = {"answered": False, "storage_driver": None, "configured_driver": "devicemapper", "version": None}
    assert "version unknown" in storage.upgrade_refusal(down, "28.5.2", None)
    assert storage.upgrade_refusal(dict(down, configured_driver="overlay2"), "28.5.2", None) == ""
    assert storage.upgrade_refusal(dict(down, configured_driver=None), "28.5.2", None) == ""


def test_space_on_the_data_root_s_file_system_counts_the_load_too():
    assert storage.space_refusal(19070000, 90 * 10 ** 6, "/w") == ""
    assert storage.space_refusal(19070000, 90 * 10 ** 6, "/w", shares_data_root=True).startswith(
        "Saving the images before the move needs about 107 MB in /w")


def test_the_20_10_cli_s_own_rows_are_read_too():
    # Debian 12's CLI 20.10 prints no Platform field, but Names and State, which is all at_risk reads.
    containers = listing("ps-a-20.10-cli20.10")
    risk = storage.at_risk(containers, [], [], listing("images-digests-20.10-cli20.10"), "inactive")
    assert len(risk["containers"]) == len(containers) > 0
    assert all(c["name"] and c["state"] in ("running", "exited", "created") for c in risk["containers"])
    assert risk["digest_only_images"] == []  # no image pulled by digest on the engine then


# -- an unfinished move -------------------------------------------------------------------------------------
def test_an_unfinished_move_goes_on_to_its_recorded_driver_with_the_engine_stopped():
    down = dict(answered=False, installed=True, storage_driver=None, version="20.10.24+dfsg1",
                error="Cannot connect to the Docker daemon", has_devicemapper=True)
    rec = {"from": "devicemapper", "to": "devicemapper", "moved": True}
    d = storage.decide(down, {}, True, pool="docker-thinpool", resume=rec)
    assert d["migrate"] is True and d["error"] is None and d["resume"] is True and d["storage_first"] is True
    assert d["wanted"] == "devicemapper" and d["manage_pool"] is True and d["pool"] == "docker-thinpool"
    assert d["daemon_options"]["storage-opts"][0] == "dm.thinpooldev=/dev/mapper/docker-thinpool"
    assert "resuming the move from devicemapper to devicemapper (the old data root is moved aside already)" in \
        d["reason"]
    d = storage.decide(down, {}, True, resume={"from": "vfs", "to": "overlay2", "moved": False})
    assert d["wanted"] == "overlay2" and d["daemon_options"] == {"storage-driver": "overlay2"} and d["pool"] is None


def test_an_unfinished_move_and_another_driver_asked_for_is_an_error():
    i, eng = engine("devicemapper-loop-20.10")
    d = storage.decide(eng, storage.devicemapper_facts(i), True, setting="devicemapper", pool="docker-thinpool",
                       resume={"from": "devicemapper", "to": "overlay2", "moved": False})
    assert d["migrate"] is False and d["storage_first"] is False
    assert d["error"].startswith("An unfinished move to overlay2 is recorded")
    assert "docker_storage_driver=devicemapper asks for devicemapper" in d["error"]


def test_storage_first_only_for_a_devicemapper_host_that_moves():
    assert decide("devicemapper-loop-20.10")["storage_first"] is True
    assert decide("devicemapper-direct-20.10")["storage_first"] is False
    assert decide("overlay2-28.5")["storage_first"] is False


def test_room_to_load_the_images_where_the_old_data_root_stays():
    assert storage.load_space_refusal(19070000, 10 ** 9, "/var/lib/docker") == ""
    msg = storage.load_space_refusal(19070000, 50 * 10 ** 6, "/var/lib/docker")
    assert msg.startswith("Loading the images into the new data root needs about 88 MB on the file system of "
                          "/var/lib/docker") and "50 MB are free there" in msg
    assert storage.load_space_refusal(None, 1, "/var/lib/docker") == ""


def test_a_work_dir_under_the_data_root_is_refused():
    assert "is under the data root /var/lib/docker" in storage.work_dir_refusal("/var/lib/docker/keep",
                                                                                 "/var/lib/docker")
    assert storage.work_dir_refusal("/var/lib/docker-keep", "/var/lib/docker") == ""
    assert storage.work_dir_refusal("/var/lib/dockerops-storage", "/var/lib/docker") == ""
