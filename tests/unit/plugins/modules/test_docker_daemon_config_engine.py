"""docker_daemon_config where the engine is missing or too old for dockerd --validate, and the keys it keeps or drops.

No tool runs here: a host without docker and dockerd, and the engine's answers recorded from a real engine
(tests/unit/fixtures/docker_info/README.md).
"""
import json
import os

import pytest
from ansible.module_utils import basic

from ansible_collections.dockerops.host.plugins.modules import docker_daemon_config as ddc

from harness import patch_exits, patch_module_args, recorded_info, run_main


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
                      fragments_dir=str(tmp_path / "fragments"), _ansible_check_mode=check_mode, _ansible_diff=True)
        params.update(args)
        return run_main(ddc.main, params)
    run.calls, run.path = calls, tmp_path / "daemon.json"
    return run


def test_check_mode_on_a_host_without_an_engine_has_nothing_to_check(host):
    # A fresh host in check mode: the install role has installed nothing yet.
    kind, res = host({"live-restore": True}, installed=False)
    assert kind == "Exit" and res["changed"] is False and res["action"] == "no_engine"
    assert res["messages"] == ["check mode: no engine is installed yet, so there is no daemon configuration to check"]
    assert not host.path.exists() and host.calls == []


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
