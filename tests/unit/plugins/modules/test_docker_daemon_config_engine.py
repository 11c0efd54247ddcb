"""docker_daemon_config where the engine is missing or too old for dockerd --validate, and the keys it keeps or drops.

No tool runs here: a host without docker and dockerd, and the engine's answers recorded from a real engine
(tests/unit/fixtures/docker_info/README.md).
"""
import errno
import json
import os

import pytest
from ansible.module_utils import basic

from ansible_collections.dockerops.host.plugins.modules import docker_daemon_config as ddc

from harness import ENGINE_DOWN_20_10, patch_exits, patch_module_args, recorded_info, run_main


@pytest.fixture
def host(monkeypatch, tmp_path):
    """run(options, current=None, installed=True, **args) -> (kind, result); run.calls: the commands it ran."""
    patch_exits(monkeypatch)
    calls = []
    state = {"installed": True}

    def get_bin_path(self, name, *a, **k):
        if name in ("docker", "dockerd") and not state["installed"]:
            return None
        return "/usr/bin/" + name
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", get_bin_path)

    def fake_run(self, argv, **kw):
        if os.path.basename(argv[0]) == "timeout":
            argv = argv[2:]
        calls.append(argv)
        if argv[1:3] == ["info", "--format"]:
            return 0, recorded_info("engine-20.10-full.json"), ""
        if argv[1] == "ps":
            return 0, "web\n", ""
        if argv[1:3] == ["show", "--property"] and "FragmentPath" in argv:
            return 0, "FragmentPath=\nDropInPaths=\n", ""
        if argv[1:3] == ["show", "--property"]:
            return 0, "0\n", ""
        raise AssertionError("ran %s" % argv)
    monkeypatch.setattr(basic.AnsibleModule, "run_command", fake_run)

    def run(options, current=None, installed=True, check_mode=True, **args):
        state["installed"] = installed
        path = tmp_path / "daemon.json"
        if current is not None:
            path.write_text(json.dumps(current))
        params = dict(options=options, path=str(path), state_dir=str(tmp_path / "state"),
                      fragments_dir=str(tmp_path / "fragments"), hosts_dropin=str(tmp_path / "hosts.conf"),
                      _ansible_check_mode=check_mode, _ansible_diff=True)
        params.update(args)
        return run_main(ddc.main, params)
    run.calls, run.path = calls, tmp_path / "daemon.json"
    return run


def test_check_mode_on_a_host_without_an_engine_has_nothing_to_check(host, tmp_path):
    # A fresh host in check mode: the install role has installed nothing yet; the fragments directory would be made.
    tmp_path.chmod(0o755)
    kind, res = host({"live-restore": True}, installed=False)
    assert kind == "Exit" and res["changed"] is True and res["action"] == "no_engine"
    assert res["directories_changed"] == [str(tmp_path / "fragments")]
    assert res["messages"] == ["check mode: no engine is installed yet, so there is no daemon configuration to check"]
    kind, res = host({}, installed=False, fragments={"40-storage.json": {"storage-driver": "overlay2"}})
    assert res["action"] == "no_engine" and res["diff"][0]["after"] == '{\n    "storage-driver": "overlay2"\n}\n'
    assert not host.path.exists() and host.calls == [] and not (tmp_path / "fragments").exists()


def test_a_handed_fragment_the_engine_already_runs_with_is_written_without_a_restart(host, tmp_path):
    # daemon.json already holds the storage options (a host converged before docker_storage handed them this way):
    # the fragment and the directories are written, the engine is left alone (only docker info and ps ran).
    config = {"live-restore": True, "storage-driver": "overlay2"}
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "daemon.json.applied").write_text(json.dumps({"config": config, "managed_keys": sorted(config), "files": {}}))
    kind, res = host({"live-restore": True}, current=config, check_mode=False,
                     fragments={"40-storage.json": {"storage-driver": "overlay2"}})
    fragment = tmp_path / "fragments" / "40-storage.json"
    assert kind == "Exit" and res["changed"] and res["action"] == "none" and res["fragments_changed"] == [str(fragment)]
    assert fragment.read_text() == '{\n    "storage-driver": "overlay2"\n}\n'
    assert oct(fragment.stat().st_mode & 0o777) == "0o644" and oct((tmp_path / "fragments").stat().st_mode & 0o777) == "0o755"
    assert oct(tmp_path.stat().st_mode & 0o777) == "0o755"
    assert [argv[1] for argv in host.calls] == ["info", "ps"] and json.loads(host.path.read_text()) == config
    kind, res = host({"live-restore": True}, current=config, check_mode=False,
                     fragments={"40-storage.json": {"storage-driver": "overlay2"}})
    assert res["changed"] is False and res["fragments_changed"] == [] and res["directories_changed"] == []


def test_a_real_run_on_a_host_without_an_engine_fails_naming_the_install_roles(host):
    kind, res = host({"live-restore": True}, installed=False, check_mode=False)
    assert kind == "Fail" and res["msg"].startswith("No Docker engine is installed here (no dockerd)")
    assert "docker_install_ubuntu or docker_install_centos" in res["msg"]
    assert not host.path.exists() and host.calls == []


def test_kept_keys_are_reported(host):
    kind, res = host({"live-restore": True}, current={"bip": "10.10.0.1/16"})
    assert res["kept_keys"] == ["bip"] and res["config"] == {"bip": "10.10.0.1/16", "live-restore": True}
    assert "kept keys of the existing daemon.json that no source sets: bip (set replace to drop them)" \
        in res["messages"]


def test_replace_drops_the_keys_no_source_sets(host):
    kind, res = host({"live-restore": True}, current={"bip": "10.10.0.1/16"}, replace=True)
    assert kind == "Exit" and res["changed"] and res["kept_keys"] == [] and res["removed_keys"] == ["bip"]
    assert res["config"] == {"live-restore": True}
    assert not any(m.startswith("kept keys") for m in res["messages"])
    assert json.loads(host.path.read_text()) == {"bip": "10.10.0.1/16"}  # check mode


@pytest.mark.parametrize("version, installed", [("20.10.24+dfsg1", True), (None, True), ("28.5.2", False)])
def test_dockerd_validate_is_not_run_before_engine_23_or_without_dockerd(host, monkeypatch, version, installed):
    # engine-20.10-full answers 20.10.24+dfsg1: its dockerd has no --validate (the known-key and value checks stand
    # in for it); without a version or a dockerd there is nothing to run either.
    with patch_module_args({}):
        module = basic.AnsibleModule(argument_spec={})
    engine = ddc.Engine(module)
    if not installed:
        monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda self, name, *a, **k: None)
    assert engine.validate(version, b'{"live-restore": true}') == (True, "")
    assert host.calls == []


@pytest.fixture
def engine(monkeypatch, tmp_path):
    """run(options, config, **args) -> (kind, result): a real run on a host whose daemon.json is config, and so is the
    record of what the engine last took, under tmp_path (fragments/, state/, no hosts drop-in), timeout 0.
    run.state: "info", the recorded docker info the engine answers with (Engine 28.5: live-restore off, dockerd
    --validate there; engine-20.10-full: live-restore on, no --validate); "validate", dockerd --validate's (rc, out,
    err); "fails_restart": after systemctl restart, docker info answers as the 20.10 CLI with no engine behind the
    socket (recorded); "on_restart", called at that restart. run.calls: what ran."""
    patch_exits(monkeypatch)
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda self, name, *a, **k: "/usr/bin/" + name)
    monkeypatch.setattr(ddc.time, "sleep", lambda s: None)
    state = {"info": "overlay2-28.5.json", "validate": (0, "", ""), "fails_restart": False, "on_restart": None,
             "down": False}
    calls = []

    def fake_run(self, argv, **kw):
        if os.path.basename(argv[0]) == "timeout":
            argv = argv[2:]
        calls.append(argv)
        if argv[1:3] == ["info", "--format"]:
            return ENGINE_DOWN_20_10 if state["down"] else (0, recorded_info(state["info"]), "")
        if argv[0] == "/usr/bin/dockerd" and argv[1] == "--validate":
            rc, out, err = state["validate"]
            return rc, out, err.replace("%s", argv[-1])
        if argv[1] == "ps":
            return 0, "web\n", ""
        if argv[0] == "/usr/bin/systemctl" and argv[1] == "show" and "FragmentPath" in argv:
            return 0, "FragmentPath=\nDropInPaths=\n", ""
        if argv[0] == "/usr/bin/systemctl" and argv[1] == "show":
            return 0, "0\n", ""
        if argv[0] == "/usr/bin/systemctl" and argv[1] == "restart":
            if state["on_restart"]:
                state["on_restart"]()
            state["down"] = state["fails_restart"]
            return 0, "", ""
        if argv[0] in ("/usr/bin/systemctl", "/usr/bin/journalctl"):
            return 0, "", ""
        raise AssertionError("ran %s" % argv)
    monkeypatch.setattr(basic.AnsibleModule, "run_command", fake_run)
    tmp_path.chmod(0o755)
    (tmp_path / "fragments").mkdir()
    (tmp_path / "state").mkdir()

    def run(options, config, **args):
        (tmp_path / "daemon.json").write_text(json.dumps(config))
        (tmp_path / "state" / "daemon.json.applied").write_text(
            json.dumps({"config": config, "managed_keys": sorted(k for k in config if k in options), "files": {}}))
        params = dict(options=options, path=str(tmp_path / "daemon.json"), state_dir=str(tmp_path / "state"),
                      fragments_dir=str(tmp_path / "fragments"), hosts_dropin=str(tmp_path / "hosts.conf"), timeout=0)
        params.update(args)
        return run_main(ddc.main, params)
    run.state, run.calls = state, calls
    return run


def test_a_handed_fragment_is_put_back_when_the_engine_does_not_come_up(engine, tmp_path):
    # The storage options restart the engine, which does not come up: daemon.json and the fragment are put back as
    # they were, the engine started again on them, and the failure says so.
    engine.state.update(info="engine-20.10-full.json", fails_restart=True)
    fragment = tmp_path / "fragments" / "40-storage.json"
    fragment.write_text('{"storage-driver": "devicemapper"}')
    config = {"live-restore": True, "storage-driver": "devicemapper"}
    kind, res = engine({"live-restore": True}, config, fragments={"40-storage.json": {"storage-driver": "overlay2"}})
    # Put back: the result does not claim it written.
    assert kind == "Fail" and res["action"] == "rolled_back" and res["fragments_changed"] == []
    assert res["msg"].startswith("dockerd did not start with the new daemon.json (options changed: "
                                 "storage-driver=\"overlay2\")")
    assert fragment.read_text() == '{"storage-driver": "devicemapper"}'
    assert json.loads((tmp_path / "daemon.json").read_text()) == config
    assert ["/usr/bin/systemctl", "start", "docker.service"] in engine.calls


def test_a_removed_proxy_is_put_back_as_it_was_when_the_engine_does_not_come_up(engine, tmp_path):
    # As above. The drop-in (a symlink here) and the 0600 settings file are gone at the restart and come back as
    # they were.
    real_dropin, dropin, env = tmp_path / "real-proxy.conf", tmp_path / "http-proxy.conf", tmp_path / "proxy.env"
    removed_at_restart = []
    engine.state.update(info="engine-20.10-full.json", fails_restart=True, on_restart=lambda: removed_at_restart.append(
        not os.path.lexists(str(dropin)) and not env.exists()))
    real_dropin.write_text("[Service]\nEnvironmentFile=%s\n" % env)
    dropin.symlink_to(real_dropin)
    env.write_text("HTTPS_PROXY=http://user:s3cret@proxy.example:3128\n")
    env.chmod(0o600)
    config = {"live-restore": True}
    kind, res = engine(config, config, remove_files=[str(dropin), str(env)])
    assert kind == "Fail" and res["action"] == "rolled_back" and res["files_removed"] == []
    assert removed_at_restart == [True] and "s3cret" not in json.dumps(res)
    assert os.readlink(str(dropin)) == str(real_dropin)
    assert env.read_text() == "HTTPS_PROXY=http://user:s3cret@proxy.example:3128\n"
    assert oct(env.stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize("read_only", ["daemon.json", "fragments/40-storage.json"])
def test_a_file_that_cannot_be_put_back_does_not_stop_the_rest_of_the_rollback(engine, tmp_path, monkeypatch,
                                                                                read_only):
    # As above, and from the restart on the file system takes no new file at one path (EROFS: what the kernel answers
    # the temporary file's creation on a file system remounted read-only). The other files, the removed proxy
    # settings among them, are still put back, the engine is still started again, and the failure names the file left
    # as this call wrote it.
    from ansible_collections.dockerops.host.plugins.module_utils import _files
    real_copy, stuck = _files._temporary_copy, str(tmp_path / read_only)

    def read_only_there(path, *args):
        if path == stuck:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), os.path.dirname(path))
        return real_copy(path, *args)
    engine.state.update(info="engine-20.10-full.json", fails_restart=True,
                        on_restart=lambda: monkeypatch.setattr(_files, "_temporary_copy", read_only_there))
    fragment, env = tmp_path / "fragments" / "40-storage.json", tmp_path / "proxy.env"
    fragment.write_text('{"storage-driver": "devicemapper"}')
    env.write_text("HTTPS_PROXY=http://proxy.example:3128\n")
    env.chmod(0o600)
    config = {"live-restore": True, "storage-driver": "devicemapper"}
    kind, res = engine({"live-restore": True}, config, fragments={"40-storage.json": {"storage-driver": "overlay2"}},
                       remove_files=[str(env)])
    assert kind == "Fail" and res["action"] == "rolled_back"
    assert res["files_not_put_back"] == ["%s (Read-only file system)" % stuck]
    # (This fake engine stays down after the failed restart.)
    assert res["msg"].endswith(
        "The previous configuration was put back, except %s (Read-only file system) (put them back by hand), but the "
        "engine did not answer again: look at journalctl -u docker." % stuck)
    if read_only == "daemon.json":
        assert fragment.read_text() == '{"storage-driver": "devicemapper"}' and res["fragments_changed"] == []
    else:
        assert json.loads((tmp_path / "daemon.json").read_text()) == config
        # Still as this call wrote it: the result says so.
        assert res["fragments_changed"] == [stuck] and res["changed"] is True
    assert env.read_text() == "HTTPS_PROXY=http://proxy.example:3128\n" and oct(env.stat().st_mode & 0o777) == "0o600"
    restart = engine.calls.index(["/usr/bin/systemctl", "restart", "docker.service"])
    assert ["/usr/bin/systemctl", "start", "docker.service"] in engine.calls[restart:]


def test_a_fragment_left_by_a_failed_live_restore_reload_makes_the_failure_changed(engine28, tmp_path, monkeypatch):
    # The live-restore reload fails (as in the test below) and the storage fragment cannot be put back (EROFS from the
    # reload on): the failure names it, still lists it as written, is changed, and daemon.json and the proxy are back.
    from ansible_collections.dockerops.host.plugins.module_utils import _files
    real_copy, stuck = _files._temporary_copy, str(tmp_path / "fragments" / "40-storage.json")

    def read_only_there(path, *args):
        if path == stuck:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), os.path.dirname(path))
        return real_copy(path, *args)
    real_run = basic.AnsibleModule.run_command

    def run_command(self, argv, **kw):
        if argv[1:3] == ["kill", "--signal=HUP"]:
            monkeypatch.setattr(_files, "_temporary_copy", read_only_there)
        return real_run(self, argv, **kw)
    monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
    kind, res = engine28({"live-restore": True})
    assert kind == "Fail" and res["msg"].startswith("Turning live-restore on by a reload failed")
    assert res["msg"].endswith("nothing was restarted. The files this call had changed were put back, except %s "
                               "(Read-only file system): put them back by hand." % stuck)
    assert res["files_not_put_back"] == ["%s (Read-only file system)" % stuck]
    assert res["fragments_changed"] == [stuck] and res["files_removed"] == [] and res["changed"] is True
    assert json.loads((tmp_path / "daemon.json").read_text()) == {"storage-driver": "devicemapper"}
    assert (tmp_path / "proxy.conf").exists() and oct((tmp_path / "proxy.env").stat().st_mode & 0o777) == "0o600"
    assert "s3cret" not in json.dumps(res)


def test_a_drop_in_stays_removed_when_the_settings_it_names_cannot_come_back(engine, tmp_path, monkeypatch):
    # The proxy's drop-in and its settings file were removed (drop-in first); the restart fails and the settings file
    # cannot be written back (EROFS). Putting the drop-in back would name a missing EnvironmentFile, and systemd
    # would not start the engine at all: it stays removed, and both are named.
    from ansible_collections.dockerops.host.plugins.module_utils import _files
    dropin, env = tmp_path / "http-proxy.conf", tmp_path / "proxy.env"
    real_copy = _files._temporary_copy

    def read_only_there(path, *args):
        if path == str(env):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), os.path.dirname(path))
        return real_copy(path, *args)
    engine.state.update(info="engine-20.10-full.json", fails_restart=True,
                        on_restart=lambda: monkeypatch.setattr(_files, "_temporary_copy", read_only_there))
    dropin.write_text("[Service]\nEnvironmentFile=%s\n" % env)
    env.write_text("HTTPS_PROXY=http://user:s3cret@proxy.example:3128\n")
    env.chmod(0o600)
    config = {"live-restore": True}
    kind, res = engine(config, config, remove_files=[str(dropin), str(env)])
    assert kind == "Fail" and res["action"] == "rolled_back"
    assert res["files_not_put_back"] == ["%s (Read-only file system)" % env,
                                         "%s (left removed, as %s could not be put back)" % (dropin, env)]
    assert not dropin.exists() and not env.exists()
    assert res["files_removed"] == [str(dropin), str(env)] and "s3cret" not in json.dumps(res)


def test_every_file_put_back_leaves_no_files_not_put_back_in_the_result(engine, tmp_path):
    engine.state.update(info="engine-20.10-full.json", fails_restart=True)
    config = {"live-restore": True, "storage-driver": "devicemapper"}
    kind, res = engine({"live-restore": True}, config, fragments={"40-storage.json": {"storage-driver": "overlay2"}})
    assert kind == "Fail" and "files_not_put_back" not in res
    assert res["msg"].endswith("The previous configuration was put back, but the engine did not answer again: look "
                               "at journalctl -u docker.")


@pytest.fixture
def engine28(engine, tmp_path):
    """engine (Engine 28.5) with a storage fragment (40-storage.json: devicemapper, handed overlay2) and a proxy no
    longer wanted (drop-in and 0600 settings) under tmp_path: run(options)."""
    (tmp_path / "fragments" / "40-storage.json").write_text('{"storage-driver": "devicemapper"}')
    (tmp_path / "proxy.conf").write_text("[Service]\nEnvironmentFile=%s\n" % (tmp_path / "proxy.env"))
    (tmp_path / "proxy.env").write_text("HTTPS_PROXY=http://user:s3cret@proxy.example:3128\n")
    (tmp_path / "proxy.env").chmod(0o600)

    def run(options):
        return engine(options, {"storage-driver": "devicemapper"},
                      fragments={"40-storage.json": {"storage-driver": "overlay2"}},
                      remove_files=[str(tmp_path / "proxy.conf"), str(tmp_path / "proxy.env")])
    run.answers, run.calls = engine.state, engine.calls
    return run


def unchanged(tmp_path):
    return ((tmp_path / "fragments" / "40-storage.json").read_text() == '{"storage-driver": "devicemapper"}'
            and json.loads((tmp_path / "daemon.json").read_text()) == {"storage-driver": "devicemapper"}
            and (tmp_path / "proxy.conf").exists() and oct((tmp_path / "proxy.env").stat().st_mode & 0o777) == "0o600")


def test_nothing_is_written_when_dockerd_validate_refuses(engine28, tmp_path):
    with open(os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "docker_cli",
                           "dockerd-validate-log-level-26.1.5.stderr")) as f:
        engine28.answers["validate"] = (1, "", f.read())
    kind, res = engine28({"log-level": "loud"})
    assert kind == "Fail" and "refused the new daemon.json" in res["msg"] and "invalid logging level: loud" in res["msg"]
    assert res["changed"] is False and res["fragments_changed"] == [] and res["files_removed"] == []
    assert not any(m.startswith("restart: removed") for m in res["messages"])
    assert unchanged(tmp_path) and not any(argv[0] == "/usr/bin/systemctl" and argv[1] in ("restart", "kill", "stop")
                                           for argv in engine28.calls)


def test_a_failed_live_restore_reload_puts_the_fragment_and_the_proxy_back(engine28, tmp_path):
    # The engine has live-restore off (recorded); the storage change restarts, so live-restore is turned on by a reload
    # first, and the engine does not show it (docker info keeps answering LiveRestoreEnabled false).
    kind, res = engine28({"live-restore": True})
    assert kind == "Fail" and res["msg"].startswith("Turning live-restore on by a reload failed")
    assert ["/usr/bin/systemctl", "kill", "--signal=HUP", "--kill-who=main", "docker.service"] in engine28.calls
    assert unchanged(tmp_path) and res["fragments_changed"] == [] and res["files_removed"] == []
    assert "s3cret" not in json.dumps(res)
