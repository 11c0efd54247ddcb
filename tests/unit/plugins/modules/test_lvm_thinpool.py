"""lvm_thinpool against a fake LVM that answers like lvm2's JSON reports and wipefs/lsblk."""
import json
import os

import pytest
from ansible.module_utils import basic

from ansible_collections.dockerops.host.plugins.module_utils import _lvm as lvmlib
from ansible_collections.dockerops.host.plugins.modules import lvm_thinpool

from harness import (ENGINE_DOWN_20_10, ENGINE_DOWN_28 as ENGINE_DOWN, TIMEOUT_28, patch_exits, run_main,
                     recorded_info as recorded)


IS_BLOCK_DEVICE = lvmlib.is_block_device  # the real one; the fixture below stands /dev/vd* in for disks


class FakeLvm(object):
    """Just enough LVM: PVs, one VG per name, LVs; commands mutate it as lvm2 would."""

    def __init__(self):
        self.pvs = {}          # device -> vg name or ""
        self.vgs = set()
        self.lvs = {}          # (vg, name) -> dict
        self.signatures = {}   # device -> [(offset, type)]
        self.mounts = {}       # device -> [mountpoint]
        self.parts = {}        # device -> [partition]
        self.calls = []
        self.engine = None     # docker info answer: a recorded docker info (tests/unit/fixtures/docker_info)
        self.docker_run = None  # or a recorded (rc, stdout, stderr) of docker info that got no answer

    def lv_row(self, vg, name, lv):
        return dict(lv_name=name, vg_name=vg, lv_attr=lv.get("attr", "twi-a-tz--"), segtype=lv["segtype"],
                    lv_size=str(lv.get("size", 4068474880)), data_percent=lv.get("data", ""),
                    metadata_percent=lv.get("meta", ""), lv_profile=lv.get("profile", ""),
                    seg_monitor=lv.get("monitor", ""), chunk_size=str(lv.get("chunk", 0)),
                    lv_tags=",".join(lv.get("tags", [])))

    def __call__(self, module, argv, **kw):
        if os.path.basename(argv[0]) == "timeout":  # docker info runs under timeout(1)
            argv = argv[2:]
        cmd = os.path.basename(argv[0])
        args = argv[1:]
        self.calls.append(" ".join([cmd] + args))
        if cmd in ("pvs", "vgs", "lvs"):
            if cmd == "pvs":
                rows = [dict(pv_name=d, vg_name=v) for d, v in self.pvs.items()]
                return 0, json.dumps({"report": [{"pv": rows}]}), ""
            if cmd == "vgs":
                rows = [dict(vg_name=v, vg_size="4290772992", vg_free="0") for v in sorted(self.vgs)]
                return 0, json.dumps({"report": [{"vg": rows}]}), ""
            vg = args[-1]
            rows = [self.lv_row(v, n, lv) for (v, n), lv in self.lvs.items() if v == vg]
            return 0, json.dumps({"report": [{"lv": rows}]}), ""
        if cmd == "wipefs" and "--no-act" in args:
            sigs = self.signatures.get(args[-1], [])
            return 0, "# offset,uuid,label,type\n" + "".join("%s,u,l,%s\n" % s for s in sigs), ""
        if cmd == "lsblk":
            dev = args[-1]
            # lsblk --raw NAME,TYPE,MOUNTPOINT: an empty mount point leaves a trailing space.
            return 0, "".join("%s disk %s\n" % (dev, m) for m in self.mounts.get(dev, [""])) \
                + "".join("%s part \n" % p for p in self.parts.get(dev, [])), ""
        if cmd == "wipefs":
            self.signatures.pop(args[-1], None)
        elif cmd == "pvcreate":
            self.pvs[args[-1]] = ""
        elif cmd in ("vgcreate", "vgextend"):
            self.vgs.add(args[0])
            for d in args[1:]:
                self.pvs[d] = args[0]
        elif cmd == "lvcreate":
            tags = [args[i + 1] for i, a in enumerate(args) if a == "--addtag"]
            self.lvs[(args[args.index("-n") + 2], args[args.index("-n") + 1])] = dict(segtype="linear", attr="-wi-a-----",
                                                                                      tags=tags)
        elif cmd == "lvconvert":
            vg, pool = args[args.index("--thinpool") + 1].split("/")
            _, meta = args[args.index("--poolmetadata") + 1].split("/")
            del self.lvs[(vg, meta)]
            self.lvs[(vg, pool)] = dict(segtype="thin-pool", chunk=524288, data="0.00", meta="10.42")
        elif cmd == "lvchange":
            vg, pool = args[-1].split("/")
            if "--metadataprofile" in args:
                self.lvs[(vg, pool)]["profile"] = args[args.index("--metadataprofile") + 1]
            if "--monitor" in args:
                self.lvs[(vg, pool)]["monitor"] = "monitored"
        elif cmd == "lvremove":
            vg, pool = args[-1].split("/")
            del self.lvs[(vg, pool)]
        elif cmd == "docker":
            if self.docker_run:
                return self.docker_run
            return (0, self.engine, "") if self.engine else ENGINE_DOWN
        return 0, "", ""

    def ready_pool(self, vg="docker", dev="/dev/vdb", **extra):
        self.pvs[dev] = vg
        self.vgs.add(vg)
        lv = dict(segtype="thin-pool", chunk=524288, data="1.50", meta="10.42", profile="%s-thinpool" % vg,
                  monitor="monitored")
        lv.update(extra)
        self.lvs[(vg, "thinpool")] = lv


@pytest.fixture
def lvm(monkeypatch, tmp_path):
    fake = FakeLvm()
    monkeypatch.setattr(basic.AnsibleModule, "run_command", lambda self, argv, **kw: fake(self, argv, **kw))
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda self, name, required=False, **kw: "/sbin/" + name)
    patch_exits(monkeypatch)
    monkeypatch.setattr(lvmlib, "is_block_device", lambda path: path.startswith("/dev/vd"))
    monkeypatch.setattr(lvm_thinpool, "PROFILE_DIR", str(tmp_path / "profile"))
    monkeypatch.setattr(os.path, "realpath", lambda p: p)
    fake.profile_dir = tmp_path / "profile"
    return fake


def run(args, check=False, diff=False):
    # Never the test machine's own /etc/docker: the tests that need daemon.json files give them.
    args = dict({"engine_configs": []}, **args)
    if diff:
        args["_ansible_diff"] = True
    return run_main(lvm_thinpool.main, dict(args, _ansible_check_mode=True) if check else args)


def changing(fake):
    return [c for c in fake.calls if not c.startswith(("pvs", "vgs", "lvs", "lsblk", "wipefs --no-act", "docker"))]


def write_profile(fake, name="docker-thinpool", threshold=80, percent=20):
    fake.profile_dir.mkdir(exist_ok=True)
    (fake.profile_dir / (name + ".profile")).write_text(lvm_thinpool.profile_text(threshold, percent))


def test_blank_disk_gets_the_whole_procedure_in_order(lvm):
    kind, res = run({"devices": ["/dev/vdb"]})
    assert kind == "Exit" and res["changed"]
    assert changing(lvm) == [
        "pvcreate /dev/vdb",
        "vgcreate docker /dev/vdb",
        "lvcreate --yes --wipesignatures y --addtag dockerops -n thinpool docker -l 95%VG",
        "lvcreate --yes --wipesignatures y --addtag dockerops -n thinpoolmeta docker -l 1%VG",
        "lvconvert -y --zero n -c 512K --thinpool docker/thinpool --poolmetadata docker/thinpoolmeta",
        "lvchange --metadataprofile docker-thinpool docker/thinpool",
        "lvchange --monitor y docker/thinpool",
    ]
    assert "write %s/docker-thinpool.profile" % lvm.profile_dir in res["commands"]
    profile = (lvm.profile_dir / "docker-thinpool.profile").read_text()
    assert "thin_pool_autoextend_threshold=80" in profile and "thin_pool_autoextend_percent=20" in profile
    assert res["pool"]["device"] == "/dev/mapper/docker-thinpool"
    assert res["pool"]["monitored"] and res["pool"]["profile"] == "docker-thinpool"
    assert res["pool"]["metadata_percent"] == 10.42


def test_pool_in_shape_is_left_alone(lvm):
    lvm.ready_pool()
    write_profile(lvm)
    kind, res = run({"devices": ["/dev/vdb"]})
    assert kind == "Exit" and not res["changed"] and res["commands"] == []
    assert changing(lvm) == []


def reads(fake):
    return [c.split()[0] for c in fake.calls if c not in changing(fake)]


def test_reads_are_not_repeated(lvm):
    # make bench (e): each LVM command costs about 0.5 s on a small VM.
    run({"devices": ["/dev/vdb"]})
    # before: vgs (no VG, so no lvs), pvs, one lsblk and wipefs per device; after creating: vgs+lvs twice.
    assert reads(lvm) == ["vgs", "pvs", "lsblk", "wipefs", "vgs", "lvs", "vgs", "lvs"]
    lvm.calls.clear()
    kind, res = run({"devices": ["/dev/vdb"]})
    assert kind == "Exit" and not res["changed"]
    # In shape: one state read, and the disk is already ours (no lsblk, no wipefs).
    assert reads(lvm) == ["vgs", "lvs", "pvs"]


def test_check_mode_plans_and_runs_nothing(lvm):
    kind, res = run({"devices": ["/dev/vdb"]}, check=True)
    assert kind == "Exit" and res["changed"]
    assert res["commands"][:2] == ["pvcreate /dev/vdb", "vgcreate docker /dev/vdb"]
    assert changing(lvm) == [] and not lvm.profile_dir.exists()


@pytest.mark.parametrize("stage, remaining", [
    ("pv", ["vgcreate", "lvcreate", "lvcreate", "lvconvert", "lvchange", "lvchange"]),
    ("vg", ["lvcreate", "lvcreate", "lvconvert", "lvchange", "lvchange"]),
    ("data", ["lvcreate", "lvconvert", "lvchange", "lvchange"]),
    ("meta", ["lvconvert", "lvchange", "lvchange"]),
    ("converted", ["lvchange", "lvchange"]),
])
def test_interrupted_run_resumes_where_it_stopped(lvm, stage, remaining):
    order = ["pv", "vg", "data", "meta", "converted"]
    done = order[:order.index(stage) + 1]
    lvm.pvs["/dev/vdb"] = "docker" if "vg" in done else ""
    if "vg" in done:
        lvm.vgs.add("docker")
    if "data" in done:
        lvm.lvs[("docker", "thinpool")] = dict(segtype="linear", tags=["dockerops"])
    if "meta" in done:
        lvm.lvs[("docker", "thinpoolmeta")] = dict(segtype="linear", tags=["dockerops"])
    if "converted" in done:
        lvm.lvs = {("docker", "thinpool"): dict(segtype="thin-pool", chunk=524288)}
    kind, res = run({"devices": ["/dev/vdb"]})
    assert kind == "Exit" and res["changed"]
    assert [c.split()[0] for c in changing(lvm)] == remaining
    assert res["pool"]["exists"] and res["pool"]["monitored"]


def test_drift_is_corrected_where_lvm_allows_and_reported_where_not(lvm):
    lvm.ready_pool(profile="", monitor="not monitored", chunk=65536)
    write_profile(lvm, threshold=100)
    kind, res = run({"devices": ["/dev/vdb"]})
    assert kind == "Exit" and res["changed"]
    assert changing(lvm) == ["lvchange --metadataprofile docker-thinpool docker/thinpool",
                             "lvchange --monitor y docker/thinpool"]
    assert "thin_pool_autoextend_threshold=80" in (lvm.profile_dir / "docker-thinpool.profile").read_text()
    assert res["warnings_found"] == ["the pool's chunk size is 65536 bytes, not 512K: LVM cannot change it on an "
                                     "existing pool"]


@pytest.mark.parametrize("setup, args, message", [
    (lambda f: None, {"devices": ["/etc/hostname"]}, "devices: /etc/hostname is not a block device"),
    (lambda f: f.parts.update({"/dev/vdb": ["/dev/vdb1"]}), {"devices": ["/dev/vdb"]},
     "devices: /dev/vdb has partitions (/dev/vdb1)"),
    (lambda f: f.mounts.update({"/dev/vdb": ["/srv"]}), {"devices": ["/dev/vdb"], "wipe_signatures": True},
     "devices: /dev/vdb is mounted on /srv"),
    (lambda f: f.pvs.update({"/dev/vdb": "data"}), {"devices": ["/dev/vdb"], "wipe_signatures": True},
     "devices: /dev/vdb belongs to volume group data"),
    (lambda f: f.signatures.update({"/dev/vdb": [("0x438", "ext4")]}), {"devices": ["/dev/vdb"]},
     "devices: /dev/vdb holds ext4 at offset 0x438; refusing to overwrite it"),
    (lambda f: f.signatures.update({"/dev/vdb": [("0x200", "gpt"), ("0x1fe", "PMBR")]}), {"devices": ["/dev/vdb"]},
     "devices: /dev/vdb holds gpt at offset 0x200, PMBR at offset 0x1fe"),
    (lambda f: None, {"devices": []}, "devices: volume group docker does not exist, and no devices were given"),
    (lambda f: None, {"devices": ["/dev/vdb"], "data_size": "lots"}, "data_size: size 'lots' is neither"),
    (lambda f: None, {"devices": ["/dev/vdb"], "autoextend_threshold": 30}, "autoextend_threshold: 30 is out of range"),
])
def test_refusals_name_what_was_found_and_write_nothing(lvm, setup, args, message):
    setup(lvm)
    kind, res = run(args)
    assert kind == "Fail"
    assert message in res["msg"]
    assert changing(lvm) == [] and res["commands"] == []


def test_wipe_signatures_erases_then_builds(lvm):
    lvm.signatures["/dev/vdb"] = [("0x438", "ext4")]
    kind, res = run({"devices": ["/dev/vdb"], "wipe_signatures": True})
    assert kind == "Exit"
    assert changing(lvm)[:2] == ["wipefs --all /dev/vdb", "pvcreate /dev/vdb"]


def test_a_new_device_extends_the_volume_group(lvm):
    lvm.ready_pool()
    write_profile(lvm)
    kind, res = run({"devices": ["/dev/vdb", "/dev/vdc"]})
    assert changing(lvm) == ["pvcreate /dev/vdc", "vgextend docker /dev/vdc"]


def test_absent_refuses_while_the_engine_uses_the_pool(lvm):
    lvm.ready_pool()
    lvm.engine = recorded("devicemapper-direct-20.10.json")  # Pool Name docker-thinpool
    kind, res = run({"state": "absent"})
    assert kind == "Fail" and "the running Docker engine uses docker/thinpool" in res["msg"]
    assert changing(lvm) == []


def test_absent_refuses_an_open_pool(lvm):
    lvm.ready_pool(attr="twi-aotz--")
    kind, res = run({"state": "absent"})
    assert kind == "Fail" and "docker/thinpool is open" in res["msg"]


def test_absent_removes_pool_and_profile(lvm):
    lvm.ready_pool()
    write_profile(lvm)
    kind, res = run({"state": "absent"})
    assert kind == "Exit" and res["changed"] and not res["pool"]["exists"]
    assert changing(lvm) == ["lvremove --yes docker/thinpool"]
    assert not (lvm.profile_dir / "docker-thinpool.profile").exists()
    kind, res = run({"state": "absent"})
    assert not res["changed"]


def test_failed_command_reports_rc_and_stderr(lvm, monkeypatch):
    real = lvm.__call__

    def failing(module, argv, **kw):
        if argv[0].endswith("vgcreate"):
            return 5, "", "  Device /dev/vdb excluded by a filter."
        return real(module, argv, **kw)
    monkeypatch.setattr(basic.AnsibleModule, "run_command", lambda self, argv, **kw: failing(self, argv, **kw))
    kind, res = run({"devices": ["/dev/vdb"]})
    assert kind == "Fail" and res["rc"] == 5
    assert "vgcreate docker /dev/vdb failed: Device /dev/vdb excluded by a filter." in res["msg"]
    assert res["commands"] == ["pvcreate /dev/vdb", "vgcreate docker /dev/vdb"]


@pytest.mark.parametrize("profile", ["../victim", "/etc/lvm/profile/x", "a/b", ".hidden", "..", "x..y", "a b",
                                     "-x", "x;y", "x\ny", "x*"])
@pytest.mark.parametrize("state", ["present", "absent"])
def test_profile_must_be_a_plain_name(lvm, profile, state):
    # A file outside the profile directory that a path in `profile` could reach.
    victim = lvm.profile_dir.parent / "victim.profile"
    victim.write_text("not LVM's")
    lvm.ready_pool()
    kind, res = run({"devices": ["/dev/vdb"], "profile": profile, "state": state})
    assert kind == "Fail"
    assert res["msg"].startswith("profile: %r is not a plain LVM profile name" % profile)
    # Refused before LVM was even read; nothing written or removed anywhere.
    assert lvm.calls == [] and res["commands"] == []
    assert victim.read_text() == "not LVM's" and not lvm.profile_dir.exists()


@pytest.mark.parametrize("args, message", [
    ({"vg": "../etc"}, "vg: '../etc' is not an LVM name"),
    ({"vg": ".."}, "vg: '..' is not an LVM name"),
    ({"pool": "a/b"}, "pool: 'a/b' is not an LVM name"),
    ({"pool": "-p"}, "pool: '-p' is not an LVM name"),
    # Valid LVM names whose default profile name (<vg>-<pool>) would be a hidden file.
    ({"vg": ".docker"}, "profile: '.docker-thinpool' (made from vg and pool as <vg>-<pool>) is not a plain"),
])
def test_names_that_make_paths_are_refused(lvm, args, message):
    kind, res = run(dict(args, devices=["/dev/vdb"]))
    assert kind == "Fail" and res["msg"].startswith(message)
    assert lvm.calls == []


@pytest.mark.parametrize("profile", ["docker-thinpool", "My_profile.v2+x", "a"])
def test_plain_profile_names_are_used(lvm, profile):
    kind, res = run({"devices": ["/dev/vdb"], "profile": profile})
    assert kind == "Exit" and res["pool"]["profile"] == profile
    assert (lvm.profile_dir / (profile + ".profile")).exists()


# -- #15: only what is its own, every device checked first, dashes, absent while named ------------------------
@pytest.mark.parametrize("name", ["thinpool", "thinpoolmeta"])
def test_an_untagged_volume_with_the_pool_s_name_is_refused(lvm, name):
    lvm.pvs["/dev/vdb"] = "docker"
    lvm.vgs.add("docker")
    lvm.lvs[("docker", name)] = dict(segtype="linear", size=10737418240)  # somebody's data
    kind, res = run({"devices": ["/dev/vdb"]})
    assert kind == "Fail" and changing(lvm) == []
    assert res["msg"].startswith("docker/%s exists (segment type linear, 10737418240 bytes) and is not "
                                 "lvm_thinpool's (no LVM tag dockerops)" % name)
    assert "lvchange --addtag dockerops docker/%s" % name in res["msg"]


def test_a_tagged_half_built_pool_is_its_own_and_an_existing_thin_pool_is_used(lvm):
    lvm.pvs["/dev/vdb"] = "docker"
    lvm.vgs.add("docker")
    lvm.lvs[("docker", "thinpool")] = dict(segtype="linear", tags=["dockerops", "other"])
    kind, res = run({"devices": ["/dev/vdb"]})
    assert kind == "Exit" and [c.split()[0] for c in changing(lvm)] == ["lvcreate", "lvconvert", "lvchange", "lvchange"]
    # A thin pool made by hand (no tag) is not converted again: only its profile and monitoring are set.
    lvm.lvs = {("docker", "thinpool"): dict(segtype="thin-pool", chunk=524288)}
    lvm.calls.clear()
    kind, res = run({"devices": ["/dev/vdb"]})
    assert kind == "Exit" and [c.split()[0] for c in changing(lvm)] == ["lvchange", "lvchange"]


@pytest.mark.parametrize("setup, message", [
    (lambda f: f.signatures.update({"/dev/vdc": [("0x438", "ext4")]}), "devices: /dev/vdc holds ext4 at offset 0x438"),
    (lambda f: f.mounts.update({"/dev/vdc": ["/srv"]}), "devices: /dev/vdc is mounted on /srv"),
    (lambda f: f.pvs.update({"/dev/vdc": "data"}), "devices: /dev/vdc belongs to volume group data"),
])
def test_two_devices_the_second_bad_nothing_written(lvm, setup, message):
    setup(lvm)
    kind, res = run({"devices": ["/dev/vdb", "/dev/vdc"]})
    assert kind == "Fail" and res["msg"].startswith(message)
    assert changing(lvm) == [] and res["commands"] == []


def test_two_good_devices_one_volume_group(lvm):
    kind, res = run({"devices": ["/dev/vdb", "/dev/vdc"]})
    assert kind == "Exit" and changing(lvm)[:3] == ["pvcreate /dev/vdb", "pvcreate /dev/vdc",
                                                    "vgcreate docker /dev/vdb /dev/vdc"]


def test_dashes_are_doubled_in_the_device_name(lvm):
    kind, res = run({"vg": "docker-a", "pool": "thin-pool", "devices": ["/dev/vdb"]})
    assert kind == "Exit" and res["pool"]["device"] == "/dev/mapper/docker--a-thin--pool"
    # The engine reports the pool by its device-mapper name: the recorded direct-lvm docker info, whose pool is
    # docker/thinpool, with only its Pool Name changed to this pool's.
    lvm.engine = recorded("devicemapper-direct-20.10.json").replace('"docker-thinpool"', '"docker--a-thin--pool"')
    assert json.loads(lvm.engine)["DriverStatus"][0] == ["Pool Name", "docker--a-thin--pool"]
    kind, res = run({"vg": "docker-a", "pool": "thin-pool", "state": "absent", "engine_configs": []})
    assert kind == "Fail" and "the running Docker engine uses docker-a/thin-pool" in res["msg"]


def test_absent_refuses_while_a_daemon_json_names_the_pool(lvm, tmp_path):
    lvm.ready_pool()
    daemon = tmp_path / "daemon.json"
    daemon.write_text(json.dumps({"storage-driver": "devicemapper",
                                  "storage-opts": ["dm.thinpooldev=/dev/mapper/docker-thinpool",
                                                   "dm.use_deferred_removal=true"]}))
    fragments = tmp_path / "dockerops.d"
    fragments.mkdir()
    (fragments / "storage.json").write_text(json.dumps({"storage-opts": ["dm.thinpooldev=/dev/mapper/docker-thinpool"]}))
    kind, res = run({"state": "absent", "engine_configs": [str(daemon), str(fragments)]})
    assert kind == "Fail" and changing(lvm) == []
    assert res["msg"] == (
        "docker/thinpool is named by %s (dm.thinpooldev=/dev/mapper/docker-thinpool); %s/storage.json "
        "(dm.thinpooldev=/dev/mapper/docker-thinpool): an engine started with it gone would not come up. Nothing was "
        "removed. Move the engine off devicemapper first (dockerops.host.docker_storage), then remove the pool."
        % (daemon, fragments))
    # Another pool's name, or overlay2: removed.
    daemon.write_text(json.dumps({"storage-driver": "overlay2"}))
    (fragments / "storage.json").write_text(json.dumps({"storage-opts": ["dm.thinpooldev=/dev/mapper/other-thinpool"]}))
    kind, res = run({"state": "absent", "engine_configs": [str(daemon), str(fragments)]})
    assert kind == "Exit" and changing(lvm) == ["lvremove --yes docker/thinpool"]


def test_absent_refuses_when_a_daemon_json_cannot_be_read(lvm, tmp_path):
    lvm.ready_pool()
    daemon = tmp_path / "daemon.json"
    daemon.write_text("{broken")
    kind, res = run({"state": "absent", "engine_configs": [str(daemon)]})
    assert kind == "Fail" and "engine_configs: %s is not valid JSON" % daemon in res["msg"] and changing(lvm) == []
    assert "so whether it names /dev/mapper/docker-thinpool is unknown; nothing was removed" in res["msg"]


def test_absent_takes_an_empty_daemon_json_as_no_settings(lvm, tmp_path):
    lvm.ready_pool()
    daemon = tmp_path / "daemon.json"
    daemon.write_text("\n")
    kind, res = run({"state": "absent", "engine_configs": [str(daemon)]})
    assert kind == "Exit" and changing(lvm) == ["lvremove --yes docker/thinpool"]


# -- #19: --diff, and docker info that gets no answer -----------------------------------------------------------
NO_POOL = {"device": "/dev/mapper/docker-thinpool", "exists": False}


def test_diff_shows_the_new_pool_after_a_real_run(lvm):
    kind, res = run({"devices": ["/dev/vdb"]}, diff=True)
    assert kind == "Exit" and res["changed"]
    # After: the pool as lvs reports it once made (the fake's lvconvert: chunk 524288, data 0.00, metadata 10.42).
    assert res["diff"] == {"before": NO_POOL, "after": {
        "device": "/dev/mapper/docker-thinpool", "exists": True, "size_bytes": 4068474880, "data_percent": 0.0,
        "metadata_percent": 10.42, "chunk_size_bytes": 524288, "profile": "docker-thinpool", "monitored": True}}
    assert res["diff"]["after"] == res["pool"]


def test_diff_in_check_mode_shows_the_pool_the_run_would_make(lvm):
    kind, res = run({"devices": ["/dev/vdb"], "chunk_size": "1M"}, check=True, diff=True)
    assert kind == "Exit" and res["changed"] and changing(lvm) == []
    # What the commands would make; its size and use are not known before it exists.
    planned = {"device": "/dev/mapper/docker-thinpool", "exists": True, "size_bytes": None, "data_percent": None,
               "metadata_percent": None, "chunk_size_bytes": 1048576, "profile": "docker-thinpool", "monitored": True}
    assert res["diff"] == {"before": NO_POOL, "after": planned}
    assert res["pool"] == planned
    # Without monitoring asked for, whether LVM's defaults monitor the new pool is not known either.
    kind, res = run({"devices": ["/dev/vdb"], "monitor": False}, check=True, diff=True)
    assert res["diff"]["after"]["monitored"] is None and res["diff"]["after"]["chunk_size_bytes"] == 524288


@pytest.mark.parametrize("check", [False, True])
def test_diff_of_drift_shows_profile_and_monitoring_corrected_and_the_chunk_size_kept(lvm, check):
    lvm.ready_pool(profile="", monitor="not monitored", chunk=65536)
    write_profile(lvm)
    kind, res = run({"devices": ["/dev/vdb"]}, check=check, diff=True)
    assert kind == "Exit" and res["changed"]
    before = {"device": "/dev/mapper/docker-thinpool", "exists": True, "size_bytes": 4068474880,
              "data_percent": 1.5, "metadata_percent": 10.42, "chunk_size_bytes": 65536, "profile": "",
              "monitored": False}
    assert res["diff"] == {"before": before, "after": dict(before, profile="docker-thinpool", monitored=True)}
    assert changing(lvm) == ([] if check else ["lvchange --metadataprofile docker-thinpool docker/thinpool",
                                               "lvchange --monitor y docker/thinpool"])


def test_diff_of_a_pool_in_shape_is_empty(lvm):
    lvm.ready_pool()
    write_profile(lvm)
    for check in (False, True):
        kind, res = run({"devices": ["/dev/vdb"]}, check=check, diff=True)
        assert kind == "Exit" and not res["changed"]
        assert res["diff"]["before"] == res["diff"]["after"] == res["pool"]
        assert res["pool"]["exists"] and res["pool"]["size_bytes"] == 4068474880


@pytest.mark.parametrize("check", [False, True])
def test_diff_of_absent_shows_the_pool_gone(lvm, check):
    lvm.ready_pool()
    kind, res = run({"state": "absent"}, check=check, diff=True)
    assert kind == "Exit" and res["changed"]
    assert res["diff"]["before"]["exists"] is True and res["diff"]["before"]["profile"] == "docker-thinpool"
    assert res["diff"]["after"] == NO_POOL == res["pool"]
    assert changing(lvm) == ([] if check else ["lvremove --yes docker/thinpool"])


def docker_info_calls(fake):
    return [c for c in fake.calls if c.startswith("docker ")]


@pytest.mark.parametrize("answer", [ENGINE_DOWN_20_10, ENGINE_DOWN], ids=["cli-20.10", "cli-28.2"])
def test_absent_with_no_engine_answering_removes_an_unused_pool(lvm, answer):
    # No engine behind the socket, as each CLI reports it (recorded): the 20.10 CLI exits 0 with only
    # ServerErrors, the 28.2 CLI exits 1. No engine runs, so none uses the pool: it goes.
    lvm.ready_pool()
    lvm.docker_run = answer
    kind, res = run({"state": "absent"})
    assert kind == "Exit" and res["changed"]
    assert docker_info_calls(lvm) == ["docker info --format {{json .}}"]
    assert changing(lvm) == ["lvremove --yes docker/thinpool"]


def test_absent_refuses_an_open_pool_when_docker_info_times_out(lvm):
    # An engine that accepts and never answers (recorded: timeout(1) exits 124) may be using the pool; LVM says
    # it is open, and that refuses.
    lvm.ready_pool(attr="twi-aotz--")
    lvm.docker_run = TIMEOUT_28
    kind, res = run({"state": "absent"})
    assert kind == "Fail" and res["msg"] == "docker/thinpool is open (in use); refusing to remove it"
    assert docker_info_calls(lvm) == ["docker info --format {{json .}}"] and changing(lvm) == []


def test_absent_with_the_engine_on_overlay2_removes_the_pool(lvm):
    lvm.ready_pool()
    lvm.engine = recorded("overlay2-20.10.json")
    kind, res = run({"state": "absent"})
    assert kind == "Exit" and res["changed"] and changing(lvm) == ["lvremove --yes docker/thinpool"]


def test_absent_without_a_docker_cli_asks_no_engine(lvm, monkeypatch):
    lvm.ready_pool()
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path",
                        lambda self, name, required=False, **kw: None if name == "docker" else "/sbin/" + name)
    kind, res = run({"state": "absent"})
    assert kind == "Exit" and res["pool"] == NO_POOL
    assert docker_info_calls(lvm) == [] and changing(lvm) == ["lvremove --yes docker/thinpool"]


def test_the_real_block_device_check_refuses_a_file_and_a_character_device(lvm, monkeypatch, tmp_path):
    # The fixture stands /dev/vd* in for disks; here the module's own is_block_device judges real paths.
    monkeypatch.setattr(lvmlib, "is_block_device", IS_BLOCK_DEVICE)
    image = tmp_path / "disk.img"
    image.write_bytes(bytes(1 << 20))
    for device in (str(image), "/dev/null", str(tmp_path / "vdz")):
        kind, res = run({"devices": [device]})
        assert kind == "Fail" and res["msg"] == "devices: %s is not a block device" % device
        assert changing(lvm) == [] and res["commands"] == []
