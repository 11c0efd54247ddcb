"""The module around module_utils._sysctl: argument handling, docker warnings, fail_on_mismatch."""
import os

import pytest
from ansible.module_utils import basic

from ansible_collections.dockerops.host.plugins.modules import sysctl_check

from harness import (ENGINE_DOWN_28 as ENGINE_DOWN,
                     Fail,
                     patch_exits,
                     patch_module_args,
                     run_main,
                     recorded_info as recorded)


@pytest.fixture
def module(monkeypatch):
    patch_exits(monkeypatch)
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda self, name, *a, **k: "/usr/bin/" + name)

    def run(args, check_results, run_command=None):
        monkeypatch.setattr(sysctl_check.sysctl, "check", lambda params, mods: check_results)
        calls = []

        def fake_run(self, argv, **kw):
            calls.append(argv)
            return run_command or ENGINE_DOWN
        monkeypatch.setattr(basic.AnsibleModule, "run_command", fake_run)
        kind, result = run_main(sysctl_check.main, args)
        return kind, result, calls
    return run


OK = ({"net.ipv4.ip_forward": dict(expected="1", actual="1", boot_value="1", boot_source="f:1",
                                   status="ok", cause="")}, {"br_netfilter": dict(loaded=True, at_boot=True)})
BAD = ({"net.bridge.bridge-nf-call-iptables": dict(expected="1", actual=None, boot_value=None, boot_source=None,
                                                   status="missing", cause="needs br_netfilter")},
       {"br_netfilter": dict(loaded=False, at_boot=False)})

NOT_PERSISTED = ({"net.ipv4.ip_forward": dict(
    expected="1", actual="1", boot_value=None, boot_source=None, status="not_persisted",
    cause="set now, but lost at reboot: no sysctl.d file sets it")}, {"br_netfilter": dict(loaded=True, at_boot=True)})


def test_all_ok_is_unchanged_and_reports(module):
    kind, res, _ = module({"parameters": {"net.ipv4.ip_forward": 1}, "modules": ["br_netfilter"],
                           "fail_on_mismatch": True}, OK)
    assert kind == "Exit" and res["changed"] is False
    assert res["failed_parameters"] == [] and res["failed_modules"] == [] and res["missing"] == []
    assert res["engine_answered"] is False and res["docker_warnings"] == []


def test_fail_on_mismatch_names_each_parameter_and_module(module):
    kind, res, _ = module({"parameters": {"net.bridge.bridge-nf-call-iptables": 1}, "modules": ["br_netfilter"],
                           "fail_on_mismatch": True}, BAD)
    assert kind == "Fail"
    assert "net.bridge.bridge-nf-call-iptables: missing (needs br_netfilter)" in res["msg"]
    assert "module br_netfilter: not loaded" in res["msg"]
    assert res["failed_parameters"] == ["net.bridge.bridge-nf-call-iptables"]
    assert res["missing"] == ["net.bridge.bridge-nf-call-iptables: needs br_netfilter"]


def test_fail_on_mismatch_fails_on_a_value_lost_at_reboot(module):
    args = {"parameters": {"net.ipv4.ip_forward": 1}, "modules": ["br_netfilter"]}
    kind, res, _ = module(dict(args, fail_on_mismatch=True), NOT_PERSISTED)
    assert kind == "Fail" and res["failed_parameters"] == ["net.ipv4.ip_forward"] and res["failed_modules"] == []
    assert res["msg"] == ("The kernel does not have what was asked: net.ipv4.ip_forward: not_persisted "
                          "(set now, but lost at reboot: no sysctl.d file sets it)")
    kind, res, _ = module(args, NOT_PERSISTED)
    assert kind == "Exit" and res["failed_parameters"] == ["net.ipv4.ip_forward"]


def test_mismatch_without_fail_on_mismatch_only_reports(module):
    kind, res, _ = module({"parameters": {"net.bridge.bridge-nf-call-iptables": 1}}, BAD)
    assert kind == "Exit" and res["failed_parameters"] == ["net.bridge.bridge-nf-call-iptables"]


def test_docker_warnings_are_filtered_to_kernel_ones(module, monkeypatch):
    # Recorded on a loop-lvm engine: two warnings, neither about the kernel settings.
    answer = (0, recorded("devicemapper-loop-20.10.json"), "")
    kind, res, calls = module({"parameters": {"net.ipv4.ip_forward": 1}}, OK, answer)
    assert calls == [["/usr/bin/timeout", "30", "/usr/bin/docker", "info", "--format", "{{json .}}"]]
    assert res["engine_answered"] is True and res["docker_warnings"] == []
    # The filter keeps a warning that names one of the words (no recorded engine warned about the kernel).
    monkeypatch.setattr(sysctl_check, "DOCKER_WARNING_WORDS", ("loopback devices",))
    kind, res, calls = module({"parameters": {"net.ipv4.ip_forward": 1}}, OK, answer)
    assert [w.split("\n")[0] for w in res["docker_warnings"]] == [
        "WARNING: devicemapper: usage of loopback devices is strongly discouraged for production use."]


def test_an_engine_20_10_that_is_down_did_not_answer(module):
    # The 20.10 CLI with no engine exits 0 with only ServerErrors (fixtures README).
    kind, res, calls = module({"parameters": {"net.ipv4.ip_forward": 1}}, OK,
                              (0, recorded("engine-down-20.10.json"), ""))
    assert res["engine_answered"] is False and res["docker_warnings"] == []


def test_docker_warnings_off_runs_nothing(module):
    kind, res, calls = module({"parameters": {}, "docker_warnings": False}, ({}, {}))
    assert calls == [] and res["engine_answered"] is False


@pytest.mark.parametrize("value", [None, [1], {"a": 1}])
def test_value_must_be_single(module, value):
    kind, res, _ = module({"parameters": {"net.ipv4.ip_forward": value}}, OK)
    assert kind == "Fail" and "net.ipv4.ip_forward needs a single value" in res["msg"]


def test_sysctl_errors_become_the_message(module, monkeypatch):
    def boom(params, mods):
        raise sysctl_check.sysctl.SysctlError("net..x is not a kernel parameter name")
    monkeypatch.setattr(sysctl_check.sysctl, "check", boom)
    with patch_module_args({"parameters": {"net..x": 1}}):
        with pytest.raises(Fail) as e:
            sysctl_check.main()
    assert e.value.args[0]["msg"] == "net..x is not a kernel parameter name"
