"""docker_storage_facts with recorded docker info outputs and a patched findmnt."""
import json
import os

import pytest
from ansible.module_utils import basic
from harness import patch_exits, run_main

from ansible_collections.dockerops.host.plugins.modules import docker_storage_facts as mod

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "docker_info")
CLI = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "docker_cli")


def recorded(path):
    with open(path) as f:
        return f.read()


# What an engine with nothing on it lists (no rows), and a recorded docker system df.
EMPTY_ENGINE = {"ps": "", "volume": "", "network": recorded(os.path.join(CLI, "network-ls-20.10.jsonl")).split(
    "\n", 3)[0:3], "images": "", "system": recorded(os.path.join(FIXTURES, "system_df_20.10_dangling.cli.jsonl"))}
EMPTY_ENGINE["network"] = "\n".join(EMPTY_ENGINE["network"]) + "\n"  # bridge, host, none only


def recorded_run(name):
    """(rc, stdout, stderr) of a docker info run recorded as name.rc, name.stdout and name.stderr."""
    path = os.path.join(FIXTURES, name)
    return int(recorded(path + ".rc")), recorded(path + ".stdout"), recorded(path + ".stderr")


@pytest.fixture
def host(monkeypatch, tmp_path):
    # info: an answering engine's docker info; info_run: docker info's (rc, stdout, stderr) when no engine answers
    # (the 28.2 CLI with no engine, recorded); missing: commands get_bin_path does not find.
    state = dict(info=None, info_run=recorded_run("engine-down-28.2-cli"), missing=set(), findmnt="ext4 /",
                 xfs_info="", modinfo_rc=0, dockerd="Docker version 26.1.5+dfsg1, build a",
                 cli=dict(EMPTY_ENGINE), calls=[], info_calls=[])
    proc = tmp_path / "filesystems"
    proc.write_text("nodev\tproc\nnodev\toverlay\n\text4\n")
    monkeypatch.setattr(mod, "PROC_FILESYSTEMS", str(proc))
    patch_exits(monkeypatch)
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path",
                        lambda self, name, *a, **k: None if name in state["missing"] else "/usr/bin/" + name)

    def run(self, argv, **kw):
        if os.path.basename(argv[0]) == "timeout":
            state["info_calls"].append(argv[:2])
            argv = argv[2:]
        cmd = os.path.basename(argv[0])
        if cmd == "docker" and argv[1] != "info":
            state["calls"].append(argv[1:])
            return 0, state["cli"][argv[1]], ""
        if cmd == "docker":
            return (0, json.dumps(state["info"]), "") if state["info"] else state["info_run"]
        if cmd == "dockerd":
            return 0, state["dockerd"], ""
        if cmd == "findmnt":
            return 0, state["findmnt"] + "\n", ""
        if cmd == "xfs_info":
            return 0, state["xfs_info"], ""
        if cmd == "modinfo":
            return state["modinfo_rc"], "", ""
        raise AssertionError("unexpected command %s" % argv)
    monkeypatch.setattr(basic.AnsibleModule, "run_command", run)
    return state


def load(name):
    with open(os.path.join(FIXTURES, name + ".json")) as f:
        return json.load(f)


def test_overlay2_host(host):
    host["info"] = load("overlay2-20.10")
    kind, res = run_main(mod.main, {})
    assert kind == "Exit" and res["changed"] is False
    assert res["engine"]["storage_driver"] == "overlay2" and res["engine"]["supports_d_type"] is True
    assert res["engine"]["has_devicemapper"] is True
    assert res["devicemapper"] == {} and res["overlay2"]["supported"] is True


def test_loop_lvm_host_reports_its_loop_files(host, monkeypatch):
    host["info"] = load("devicemapper-loop-20.10")
    monkeypatch.setattr(mod.storage, "loop_file", lambda p: dict(path=p, exists=True, apparent_bytes=107374182400,
                                                                  allocated_bytes=240164864))
    kind, res = run_main(mod.main, {})
    dm = res["devicemapper"]
    assert dm["loop_lvm"] is True
    assert [lf["path"] for lf in dm["loop_files"]] == ["/var/lib/docker/devicemapper/devicemapper/data",
                                                      "/var/lib/docker/devicemapper/devicemapper/metadata"]
    assert dm["loop_files"][0]["apparent_bytes"] == 107374182400


def test_xfs_without_ftype_cannot_take_overlay2(host):
    host["info"] = load("devicemapper-direct-20.10")
    host["findmnt"] = "xfs /var/lib/docker"
    host["xfs_info"] = "naming   =version 2   bsize=4096   ascii-ci=0, ftype=0\n"
    kind, res = run_main(mod.main, {})
    assert res["overlay2"]["supported"] is False and res["overlay2"]["xfs_ftype"] == 0
    assert res["devicemapper"]["loop_lvm"] is False


def test_no_engine_uses_dockerd_version(host):
    kind, res = run_main(mod.main, {"data_root": "/srv/docker"})
    assert res["engine"]["answered"] is False and res["engine"]["installed"] is True
    assert res["engine"]["version"] == "26.1.5+dfsg1" and res["engine"]["has_devicemapper"] is False
    assert res["engine"]["data_root"] == "/srv/docker"
    assert res["engine"]["error"] == ("Cannot connect to the Docker daemon at unix:///tmp/nonexistent.sock. "
                                      "Is the docker daemon running?")
    assert host["info_calls"] == [["/usr/bin/timeout", "30"]]


def test_a_20_10_engine_that_is_down_did_not_answer(host):
    # The 20.10 CLI with no engine exits 0 and prints only ServerErrors and ClientInfo (fixtures README).
    host["info_run"] = (0, recorded(os.path.join(FIXTURES, "engine-down-20.10.json")), "")
    host["dockerd"] = recorded(os.path.join(FIXTURES, "dockerd-version-20.10.txt"))
    kind, res = run_main(mod.main, {"data_root": "/srv/docker"})
    engine = res["engine"]
    assert kind == "Exit" and engine["answered"] is False and engine["installed"] is True
    assert engine["error"] == ("Cannot connect to the Docker daemon at unix:///tmp/d2/d.sock. "
                               "Is the docker daemon running?")
    assert engine["version"] == "20.10.24+dfsg1" and engine["has_devicemapper"] is True
    assert engine["storage_driver"] is None and engine["data_root"] == "/srv/docker"
    assert res["decision"]["healthy"] is None and res["decision"]["migrate"] is False
    # Without a dockerd nothing says an engine is installed.
    host["missing"].add("dockerd")
    kind, res = run_main(mod.main, {"data_root": "/srv/docker"})
    assert res["engine"]["answered"] is False and res["engine"]["installed"] is False
    assert res["engine"]["version"] is None and res["engine"]["error"].startswith("Cannot connect")


def test_an_engine_that_never_answers_is_not_waited_for(host):
    host["info_run"] = recorded_run("timeout-28.2-cli")
    kind, res = run_main(mod.main, {})
    assert res["engine"]["answered"] is False and res["engine"]["error"] == "docker info timed out after 30s"
    assert res["engine"]["storage_driver"] is None


def test_an_answering_engine_is_installed_without_error(host):
    host["info"] = load("overlay2-28.5")
    host["missing"].add("dockerd")
    kind, res = run_main(mod.main, {})
    assert res["engine"]["answered"] is True and res["engine"]["installed"] is True
    assert res["engine"]["error"] is None and res["engine"]["version"] == "28.5.2+dfsg4"


def test_containerd_store_on_engine_28_is_left_alone(host):
    host["info"] = load("overlayfs-containerd-28.5")
    kind, res = run_main(mod.main, {})
    assert res["engine"]["storage_driver"] == "overlayfs" and res["engine"]["image_store"] == "containerd"
    assert res["engine"]["has_devicemapper"] is False
    d = res["decision"]
    assert d["healthy"] is True and d["migrate"] is False and d["wanted"] == "overlayfs"
    assert d["daemon_options"] == {"storage-driver": "overlayfs"}


def test_decision_takes_the_role_inputs(host):
    host["info"] = load("overlay2-28.5")
    kind, res = run_main(mod.main, {"containerd_store": True})
    assert res["decision"]["wanted"] == "overlayfs" and res["decision"]["migrate"] is False
    host["info"] = load("devicemapper-loop-20.10")
    kind, res = run_main(mod.main, {"driver": "devicemapper", "pool": "docker-thinpool"})
    assert res["decision"]["migrate"] is True and res["decision"]["manage_pool"] is True



def test_a_move_that_loses_what_the_engine_has_is_refused_listing_it(host, monkeypatch, tmp_path):
    # loop-lvm (recorded), so auto moves the host; the listings were recorded on an engine holding a running and a
    # created container, a named volume, a user network and an image pulled by digest only (fixtures README).
    host["info"] = load("devicemapper-loop-20.10")
    monkeypatch.setattr(mod.storage, "loop_file", lambda p: dict(path=p, exists=True, apparent_bytes=1, allocated_bytes=1))
    for sub, name in (("ps", "ps-a-20.10"), ("volume", "volume-ls-20.10"), ("network", "network-ls-20.10"),
                      ("images", "images-digests-20.10")):
        host["cli"][sub] = recorded(os.path.join(CLI, name + ".jsonl"))
    kind, res = run_main(mod.main, {"work_dir": str(tmp_path)})
    assert kind == "Exit" and res["decision"]["migrate"] is True
    risk = res["at_risk"]
    assert {"name": "rec-running", "state": "running"} in risk["containers"]
    assert {"name": "rec-stopped", "state": "created"} in risk["containers"]
    assert "rec-pgdata" in risk["volumes"] and risk["networks"] == ["rec-backend"]
    assert risk["digest_only_images"] == [
        "127.0.0.1:5055/lab/rec@sha256:ed8ceb65e5d9eecb6cacba1585d1c8f3149688431ab8415b5c6323e7d7c1e954"]
    assert risk["swarm"] is None
    refusal = res["decision"]["refusal"]
    assert refusal.startswith("Moving this host's storage moves /var/lib/docker aside")
    assert "Carried: 14 volume(s) with their data" in refusal
    assert "5 container(s), which do not come back: rec-running (running), rec-stopped (created)" in refusal
    assert "1 user network(s): rec-backend" in refusal
    assert "1 image(s) referenced only by digest" in refusal
    assert "set docker_storage_migrate_with_losses: true to go ahead" in refusal
    assert [c[0] for c in host["calls"]] == ["ps", "volume", "network", "images", "system"]

    # Allowed: no refusal (the room for the archive is there: 19.07 MB of images).
    monkeypatch.setattr(mod, "same_file_system", lambda a, b: False)
    kind, res = run_main(mod.main, {"work_dir": str(tmp_path), "migrate_with_losses": True})
    assert res["decision"]["refusal"] is None and res["at_risk"]["images_bytes"] == 19070000

    # The install roles only need the driver: no listing.
    host["calls"].clear()
    kind, res2 = run_main(mod.main, {"work_dir": str(tmp_path), "assess_risk": False})
    assert res2["at_risk"] == {} and res2["decision"]["refusal"] is None and host["calls"] == []


def test_a_move_without_room_for_the_images_is_refused(host, monkeypatch, tmp_path):
    host["info"] = load("devicemapper-loop-20.10")
    monkeypatch.setattr(mod.storage, "loop_file", lambda p: dict(path=p, exists=True, apparent_bytes=1, allocated_bytes=1))
    monkeypatch.setattr(mod, "free_bytes", lambda path: 50 * 10 ** 6)
    monkeypatch.setattr(mod, "same_file_system", lambda a, b: False)
    kind, res = run_main(mod.main, {"work_dir": str(tmp_path)})
    assert res["at_risk"]["losses"] == []
    assert res["decision"]["refusal"].startswith("Saving the images before the move needs about 88 MB in " + str(tmp_path)
                                                 + " (the images' 19 MB from docker system df, plus 10%, plus 64 MB), "
                                                 "and 50 MB are free there")
    # On the data root's file system the loaded images come on top of the archive: 2.1 times the images.
    monkeypatch.setattr(mod, "same_file_system", lambda a, b: True)
    kind, res = run_main(mod.main, {"work_dir": str(tmp_path)})
    assert res["decision"]["refusal"].startswith("Saving the images before the move needs about 107 MB")
    assert "times 2.1: the archive and the loaded images share the data root's file system" in res["decision"]["refusal"]
    # Not keeping the images: nothing to save, no refusal.
    kind, res = run_main(mod.main, {"work_dir": str(tmp_path), "keep_images": False})
    assert res["decision"]["refusal"] is None


def test_a_healthy_host_is_not_listed(host):
    host["info"] = load("overlay2-20.10")
    kind, res = run_main(mod.main, {})
    assert res["at_risk"] == {} and res["decision"]["refusal"] is None and host["calls"] == []


def test_an_engine_that_does_not_answer_is_judged_by_its_configuration(host, tmp_path):
    daemon = tmp_path / "daemon.json"
    daemon.write_text('{"storage-driver": "devicemapper"}')
    kind, res = run_main(mod.main, {"daemon_json": str(daemon), "data_root": str(tmp_path / "root")})
    assert res["engine"]["answered"] is False and res["engine"]["configured_driver"] == "devicemapper"
    # No daemon.json, but devicemapper data in the data root.
    (tmp_path / "root" / "devicemapper").mkdir(parents=True)
    kind, res = run_main(mod.main, {"daemon_json": str(tmp_path / "none.json"), "data_root": str(tmp_path / "root")})
    assert res["engine"]["configured_driver"] == "devicemapper"
    kind, res = run_main(mod.main, {"daemon_json": str(tmp_path / "none.json"), "data_root": str(tmp_path / "x")})
    assert res["engine"]["configured_driver"] is None


def test_an_unfinished_move_resumes_with_the_engine_down(host, tmp_path):
    # The move step stopped the engine: the 20.10 CLI prints only ServerErrors (recorded), dockerd is installed.
    host["info"] = load("engine-down-20.10")
    (tmp_path / "migration.json").write_text(json.dumps(
        {"version": 2, "from": "devicemapper", "to": "devicemapper", "moved": True, "backup": "/x.bak-S"}))
    kind, res = run_main(mod.main, {"work_dir": str(tmp_path), "driver": "devicemapper", "vg": "docker-a",
                                    "pool_lv": "thin-pool"})
    d = res["decision"]
    assert kind == "Exit" and d["error"] is None and d["migrate"] is True and d["resume"] is True
    assert d["pool"] == "docker--a-thin--pool" and d["storage_first"] is True and d["refusal"] is None
    assert res["at_risk"] == {}, "the move was allowed when it started"


def test_a_migration_record_that_is_not_json_is_named(host, tmp_path):
    host["info"] = load("overlay2-20.10")
    (tmp_path / "migration.json").write_text("{half")
    kind, res = run_main(mod.main, {"work_dir": str(tmp_path)})
    assert kind == "Fail" and str(tmp_path / "migration.json") + " is not a migration record" in res["msg"]


def test_pool_is_given_by_name_or_by_vg_and_lv_not_both(host):
    host["info"] = load("overlay2-20.10")
    kind, res = run_main(mod.main, {"pool": "docker-thinpool", "vg": "docker", "pool_lv": "thinpool"})
    assert kind == "Fail" and "mutually exclusive" in res["msg"]
    kind, res = run_main(mod.main, {"vg": "docker"})
    assert kind == "Fail" and "pool_lv" in res["msg"]
