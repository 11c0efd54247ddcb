"""docker_storage_migrate's three steps on a fake host: the docker CLI answers with recorded outputs
(tests/unit/fixtures/docker_cli/README.md says how each was recorded), the data root and work dir are real
directories under tmp_path."""
import json
import os
import stat

import pytest
from ansible.module_utils import basic
from harness import patch_exits, run_main

from ansible_collections.dockerops.host.plugins.module_utils import _storage as storage
from ansible_collections.dockerops.host.plugins.modules import docker_storage_migrate as mod

CLI = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "docker_cli")


def recorded(name):
    with open(os.path.join(CLI, name)) as f:
        return f.read()


IMAGES = recorded("images-digests-20.10.jsonl")
PS_ALL = recorded("ps-a-20.10.jsonl")
# `docker ps` lists the running ones: the recorded `ps --all` rows whose State is running.
PS = "".join(json.dumps(r) + "\n" for r in storage.json_lines(PS_ALL) if r["State"] == "running")
MISSING = recorded("image-inspect-missing-20.10.stderr")
# docker save of the 20.10 CLI with no engine behind the socket (rc, stdout, stderr), recorded.
SAVE_ENGINE_DOWN = (int(recorded("save-engine-down-20.10-cli.rc")), recorded("save-engine-down-20.10-cli.stdout"),
                    recorded("save-engine-down-20.10-cli.stderr"))
BUILTIN_NETS = "".join(line + "\n" for line in recorded("network-ls-20.10.jsonl").splitlines()
                       if json.loads(line)["Name"] in ("bridge", "host", "none"))


@pytest.fixture
def host(monkeypatch, tmp_path):
    root = tmp_path / "docker"
    (root / "volumes" / "pgdata" / "_data").mkdir(parents=True)
    (root / "volumes" / "pgdata" / "_data" / "PG_VERSION").write_text("15\n")
    (root / "overlay2").mkdir()
    state = dict(root=str(root), work=str(tmp_path / "work"), calls=[], loaded=False, names={}, active="active",
                 stuck=False,
                 engine_nets=recorded("network-ls-20.10.jsonl"), fail_save=False, load_out="load-tags-20.10.out")
    patch_exits(monkeypatch)
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda self, name, *a, **k: "/usr/bin/" + name)
    # What the engine knows after the load: the saved images by ID and by their tags (the archive carries the
    # tags), each name answering with its image's full ID (docker image inspect --format '{{.Id}}').
    refs = {i["ID"]: i["ID"] for i in storage.json_lines(IMAGES)}
    refs.update({"%s:%s" % (i["Repository"], i["Tag"]): i["ID"] for i in storage.json_lines(IMAGES)
                 if i["Tag"] != "<none>"})
    state["refs"] = refs

    def full(short):
        return "sha256:%s%s" % (short, "0" * (64 - len(short)))

    def docker(args):
        if args[0] == "images":
            return 0, IMAGES, ""
        if args[0] == "ps":
            return 0, PS_ALL if "--all" in args else PS, ""
        if args[:2] == ["network", "ls"]:
            return 0, state["engine_nets"], ""
        if args[:2] == ["network", "inspect"]:
            return 0, recorded("network-inspect-20.10.json"), ""
        if args[:2] == ["network", "create"]:
            return 0, "a" * 64 + "\n", ""
        if args[:2] == ["volume", "ls"]:
            return 0, recorded("volume-ls-20.10.jsonl"), ""
        if args[0] == "inspect":
            return 0, recorded("inspect-container-20.10.json"), ""
        if args[0] == "stop":
            return 0, "".join(n + "\n" for n in args[1:]), ""
        if args[0] == "save":
            if state["fail_save"]:
                return SAVE_ENGINE_DOWN
            with open(args[2], "w") as f:
                f.write("archive")
            return 0, "", ""
        if args[0] == "load":
            state["loaded"] = True
            return 0, recorded(state["load_out"]), ""
        if args[:2] == ["image", "inspect"]:
            ref = args[-1]
            short = ref[7:19] if ref.startswith("sha256:") else ref
            known = state["loaded"] and (short in refs or ref in state["names"])
            image = state["names"].get(ref) or refs.get(short) if known else None
            return (0, full(image) + "\n", "") if image else (1, "\n", MISSING)
        if args[0] == "tag":
            state["names"][args[2]] = args[1][7:19] if args[1].startswith("sha256:") else args[1]
            return 0, "", ""
        raise AssertionError("unexpected docker %s" % args)

    def run(self, argv, **kw):
        cmd = os.path.basename(argv[0])
        state["calls"].append([cmd] + list(argv[1:]))
        if cmd == "docker":
            return docker(list(argv[1:]))
        if cmd == "systemctl" and argv[1] == "stop":
            if argv[2] == "docker.service" and not state["stuck"]:
                state["active"] = "inactive"
            return 0, "", ""
        if cmd == "systemctl" and argv[1] == "is-active":
            return (3, recorded("systemctl-is-active-inactive.out"), "") if state["active"] == "inactive" else \
                (0, "active\n", "")
        raise AssertionError("unexpected command %s" % argv)
    monkeypatch.setattr(basic.AnsibleModule, "run_command", run)
    monkeypatch.setattr(basic.AnsibleModule, "atomic_move", lambda self, src, dest, **kw: os.rename(src, dest))
    monkeypatch.setattr(os, "chown", lambda *a: None)
    return state


def step(host, name, **kw):
    args = dict(step=name, work_dir=host["work"], data_root=host["root"], from_driver="devicemapper",
                to_driver="overlay2")
    args.update(kw)
    return run_main(mod.main, args)


def docker_calls(host, verb):
    return [c for c in host["calls"] if c[0] == "docker" and c[1] == verb]


def test_save_move_restore_keeps_images_volumes_and_networks(host):
    kind, res = step(host, "save")
    assert kind == "Exit" and res["changed"] is True
    rec = res["record"]
    assert rec["saved"] is True and rec["moved"] is False and rec["mount_point"] is False
    assert [n["Name"] for n in rec["networks"]] == ["rec-backend", "rec-plain"]
    assert "rec-running" in rec["containers"] and "rec-stopped" in rec["containers"]
    save = docker_calls(host, "save")[0]
    assert save[2:4] == ["--output", rec["archive"]] and "a5667330663c" in save, "the digest-only image by its ID"
    assert os.path.exists(rec["archive"])
    mode = stat.S_IMODE(os.stat(rec["containers_file"]).st_mode)
    assert mode == 0o600, "a container's environment may hold secrets"
    assert stat.S_IMODE(os.stat(os.path.join(host["work"], "migration.json")).st_mode) == 0o600

    kind, res = step(host, "move")
    assert kind == "Exit" and res["changed"] is True
    backup = res["record"]["backup"]
    assert backup == host["root"] + ".bak-" + rec["stamp"]
    assert os.path.isdir(os.path.join(backup, "overlay2")), "the old data root kept whole, beside"
    assert open(os.path.join(host["root"], "volumes", "pgdata", "_data", "PG_VERSION")).read() == "15\n"
    assert not os.path.exists(os.path.join(backup, "volumes")), "the volumes were carried, not copied"
    order = [c[:2] + c[2:3] for c in host["calls"] if c[1] in ("stop", "is-active")]
    assert docker_calls(host, "inspect") == [["docker", "inspect"] + rec["container_ids"]], \
        "no container was made since the save: inspected once"
    assert order == [["systemctl", "is-active", "docker.service"], ["docker", "stop", "8ad2f6f5cf39"],
                     ["systemctl", "stop", "docker.socket"], ["systemctl", "stop", "docker.service"],
                     ["systemctl", "is-active", "docker.service"]], "containers stopped before the engine (live-restore)"
    assert docker_calls(host, "stop")[0][2:] == [r["ID"] for r in storage.json_lines(PS)]

    host["engine_nets"] = BUILTIN_NETS  # the new engine has only its own networks
    kind, res = step(host, "restore")
    assert kind == "Exit" and res["changed"] is True
    assert res["networks_created"] == ["rec-backend", "rec-plain"]
    create = docker_calls(host, "network")[-1]
    assert create[-1] == "rec-plain" and "--subnet" in create
    assert "127.0.0.1:5055/lab/rec:dockerops-ed8ceb65e5d9" in res["images"]
    tags = [c[2:] for c in docker_calls(host, "tag")]
    assert tags == [["sha256:a5667330663c" + "0" * 52, "127.0.0.1:5055/lab/rec:dockerops-ed8ceb65e5d9"]], \
        "only the digest-only image needs a name; tagged ones came back with theirs"
    assert res["containers_not_back"] == rec["containers"]
    assert not os.path.exists(os.path.join(host["work"], "migration.json"))
    assert os.path.exists(res["record_file"]) and not os.path.exists(rec["archive"])

    # Run again: nothing to restore, nothing changes.
    kind, res = step(host, "restore")
    assert kind == "Exit" and res["changed"] is False


def test_a_save_that_dies_resumes_into_the_same_archive(host):
    host["fail_save"] = True
    kind, res = step(host, "save")
    assert kind == "Fail" and "saving the images" in res["msg"] and res["rc"] == 1
    assert ("(saving the images): Cannot connect to the Docker daemon at unix:///nonexistent.sock. Is the docker "
            "daemon running?. ") in res["msg"]
    assert "migration.json stays; the next run resumes" in res["msg"]
    first = json.load(open(os.path.join(host["work"], "migration.json")))
    assert first["saved"] is False
    host["fail_save"] = False
    kind, res = step(host, "save")
    assert kind == "Exit" and res["record"]["archive"] == first["archive"]
    assert [f for f in os.listdir(host["work"]) if f.endswith(".tar")] == [os.path.basename(first["archive"])]
    # Saved: a third run does not write it again.
    calls = len(docker_calls(host, "save"))
    kind, res = step(host, "save")
    assert res["changed"] is False and len(docker_calls(host, "save")) == calls


def test_a_mount_point_is_emptied_into_a_backup_inside_it(host, monkeypatch):
    # The recorded mountinfo has /var/lib/docker as a bind mount; here the test's data root stands for it.
    monkeypatch.setattr(mod.move, "is_mount_point", lambda path, text: path == host["root"])
    kind, res = step(host, "save")
    assert res["record"]["mount_point"] is True
    kind, res = step(host, "move")
    backup = res["record"]["backup"]
    assert backup == os.path.join(host["root"], "dockerops-backup-" + res["record"]["stamp"])
    assert sorted(os.listdir(host["root"])) == sorted([os.path.basename(backup), "volumes"])
    assert os.listdir(backup) == ["overlay2"], "volumes/ stays where it is"
    assert res["record"]["volumes_carried"] is True
    # Run again: moved and carried, nothing more to do.
    kind, res = step(host, "move")
    assert res["changed"] is False


def test_volumes_made_by_an_engine_started_after_the_move_make_way_for_the_old_ones(host):
    step(host, "save")
    rec_path = os.path.join(host["work"], "migration.json")
    step(host, "move")
    # Undo the carry as a kill right after the rename would have left it, then an engine starting on the new root.
    rec = json.load(open(rec_path))
    os.rename(os.path.join(host["root"], "volumes"), os.path.join(rec["backup"], "volumes"))
    os.mkdir(os.path.join(host["root"], "volumes"))
    open(os.path.join(host["root"], "volumes", "metadata.db"), "w").close()
    rec["volumes_carried"] = False
    json.dump(rec, open(rec_path, "w"))
    host["active"] = "active"
    kind, res = step(host, "move")
    assert kind == "Exit" and res["record"]["volumes_carried"] is True
    assert open(os.path.join(host["root"], "volumes", "pgdata", "_data", "PG_VERSION")).read() == "15\n"
    assert [n for n in os.listdir(rec["backup"]) if n.startswith("volumes.made-")], "the new engine's kept aside"
    # But volumes on both sides are never merged or dropped.
    rec["volumes_carried"] = False
    json.dump(rec, open(rec_path, "w"))
    os.mkdir(os.path.join(rec["backup"], "volumes"))
    kind, res = step(host, "move")
    assert kind == "Fail" and "hold volumes" in res["msg"]


def test_a_container_mount_left_below_the_data_root_stops_the_move(host, monkeypatch, tmp_path):
    text = recorded("mountinfo-host-running-container.txt")
    assert mod.move.mounts_below("/var/lib/docker", text)[0].startswith("/var/lib/docker/overlay2/")
    # The test's data root is not /var/lib/docker: it gets the same kind of mount below it.
    monkeypatch.setattr(mod.move, "mounts_below", lambda root, t: ["%s/overlay2/x/merged" % root])
    step(host, "save")
    kind, res = step(host, "move")
    assert kind == "Fail" and "still mounted below" in res["msg"] and "Nothing was moved" in res["msg"]
    assert os.path.isdir(os.path.join(host["root"], "overlay2"))


def test_a_host_without_docker_socket_is_stopped_all_the_same(host, monkeypatch):
    step(host, "save")
    real = basic.AnsibleModule.run_command

    def no_socket(self, argv, **kw):
        if argv[1:] == ["stop", "docker.socket"]:
            # Recorded in a Debian 12 lab container (README): rc 5, "Unit docker.socket not loaded."
            return 5, "", "Failed to stop docker.socket: Unit docker.socket not loaded.\n"
        return real(self, argv, **kw)
    monkeypatch.setattr(basic.AnsibleModule, "run_command", no_socket)
    kind, res = step(host, "move")
    assert kind == "Exit" and res["record"]["moved"] is True


def test_a_tag_that_points_at_another_image_is_put_back(host):
    step(host, "save")
    step(host, "move")
    host["engine_nets"] = BUILTIN_NETS
    host["names"]["dockerops-lab/debian:bookworm"] = "0a8d0b6af3d1"  # the name now on another image
    kind, res = step(host, "restore")
    assert kind == "Exit"
    assert ["sha256:c899b7118e35" + "0" * 52, "dockerops-lab/debian:bookworm"] in [c[2:] for c in
                                                                                  docker_calls(host, "tag")]


def test_one_step_at_a_time(host):
    import fcntl
    os.makedirs(host["work"])
    fd = os.open(os.path.join(host["work"], "migration.lock"), os.O_CREAT | os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        kind, res = step(host, "save")
    finally:
        os.close(fd)
    assert kind == "Fail" and "holds" in res["msg"] and "migration.lock" in res["msg"]
    assert docker_calls(host, "save") == []


def test_restore_refuses_before_the_move(host):
    step(host, "save")
    kind, res = step(host, "restore")
    assert kind == "Fail" and "before step=move completed" in res["msg"]
    assert docker_calls(host, "load") == []


def test_a_restore_after_a_kill_between_close_and_removal_removes_the_archive(host):
    step(host, "save")
    step(host, "move")
    host["engine_nets"] = BUILTIN_NETS
    kind, res = step(host, "restore")
    archive = res["record"]["archive"]
    open(archive, "w").close()  # as if the kill came before the removal
    kind, res = step(host, "restore")
    assert kind == "Exit" and res["changed"] is True and res["archives_removed"] == [archive]
    assert not os.path.exists(archive)


def test_an_engine_that_does_not_stop_is_not_moved(host):
    step(host, "save")
    host["stuck"] = True
    kind, res = step(host, "move")
    assert kind == "Fail" and "still active" in res["msg"] and "Nothing was moved" in res["msg"]
    assert os.path.isdir(os.path.join(host["root"], "overlay2"))


def test_a_missing_image_after_the_load_keeps_the_record_and_the_archive(host):
    step(host, "save")
    step(host, "move")
    path = os.path.join(host["work"], "migration.json")
    rec = json.load(open(path))
    rec["images"].append({"id": "0123456789ab", "tags": ["lost/one:1"], "digests": []})
    with open(path, "w") as f:
        json.dump(rec, f)
    kind, res = step(host, "restore")
    assert kind == "Fail" and "missing (by ID): 0123456789ab" in res["msg"]
    assert os.path.exists(rec["archive"]) and os.path.exists(path)
    # The next run loads the archive again.
    assert json.load(open(path))["loaded"] is False
    kind, res = step(host, "restore")
    assert kind == "Fail" and len(docker_calls(host, "load")) == 2


def test_check_mode_writes_nothing(host):
    kind, res = step(host, "save", _ansible_check_mode=True)
    assert kind == "Exit" and res["changed"] is True and res["record"]["images"]
    assert not os.path.exists(host["work"]) and docker_calls(host, "save") == []


def test_move_needs_a_record_restore_without_one_changes_nothing(host):
    kind, res = step(host, "move")
    assert kind == "Fail" and "step=save writes" in res["msg"]
    assert os.path.isdir(os.path.join(host["root"], "overlay2"))
    kind, res = step(host, "restore")
    assert kind == "Exit" and res["changed"] is False and res["archives_removed"] == []


def test_check_mode_of_move_and_restore_changes_nothing(host):
    step(host, "save")
    os.unlink(os.path.join(host["work"], "migration.lock"))
    before = sorted(os.listdir(host["work"]))
    for name in ("save", "move", "restore"):
        step(host, name, _ansible_check_mode=True)
    assert sorted(os.listdir(host["work"])) == before, "not even a lock file"
    kind, res = step(host, "move", _ansible_check_mode=True)
    assert kind == "Exit" and res["changed"] is True
    assert os.path.isdir(os.path.join(host["root"], "overlay2")) and host["active"] == "active"
    assert [c for c in host["calls"] if c[0] == "systemctl" and c[1] == "stop"] == []


@pytest.mark.parametrize("mount_point", [False, True])
@pytest.mark.parametrize("kill_at", [1, 2, 3, 4, 5, 6])
def test_a_move_killed_at_any_rename_completes_on_the_next_run(host, monkeypatch, mount_point, kill_at):
    """Every rename of the step (the data root's entries, the volumes, the record's atomic writes) in turn is where
    the run dies: an uncaught error stands for the kill."""
    monkeypatch.setattr(mod.move, "is_mount_point", lambda path, text: mount_point and path == host["root"])
    os.mkdir(os.path.join(host["root"], "image"))
    step(host, "save")
    real_rename = os.rename
    count = []

    def killed(src, dst):
        count.append(src)
        if len(count) == kill_at:
            raise OSError(4, "killed")
        return real_rename(src, dst)
    monkeypatch.setattr(os, "rename", killed)
    try:
        step(host, "move")
    except InterruptedError:
        pass
    monkeypatch.setattr(os, "rename", real_rename)
    # The engine comes back (a reboot) before the rerun.
    host["active"] = "active"
    kind, res = step(host, "move")
    assert kind == "Exit", res
    rec = res["record"]
    assert rec["moved"] and rec["volumes_carried"]
    assert open(os.path.join(host["root"], "volumes", "pgdata", "_data", "PG_VERSION")).read() == "15\n"
    assert {"image", "overlay2"} <= set(os.listdir(rec["backup"]))
    assert not {"image", "overlay2"} & set(os.listdir(host["root"]))


def test_containers_made_after_the_save_are_inspected_before_they_stop(host):
    kind, res = step(host, "save")
    rec_path = os.path.join(host["work"], "migration.json")
    rec = json.load(open(rec_path))
    rec["container_ids"] = rec["container_ids"][1:]  # as if the first container came after the save
    json.dump(rec, open(rec_path, "w"))
    inspects = len(docker_calls(host, "inspect"))
    kind, res = step(host, "move")
    assert kind == "Exit" and len(docker_calls(host, "inspect")) == inspects + 1
    assert res["record"]["container_ids"][0] == "8ad2f6f5cf39" and "rec-running" in res["record"]["containers"]
