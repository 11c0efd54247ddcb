"""The module around module_utils.sysctl: argument handling, docker warnings, fail_on_mismatch."""
import json

import pytest
from ansible.module_utils import basic

from ansible_collections.dockerops.host.plugins.modules import sysctl_check

from harness import Fail, patch_exits, patch_module_args, run_main


@pytest.fixture
def module(monkeypatch):
    patch_exits(monkeypatch)
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda self, name, *a, **k: "/usr/bin/" + name)

    def run(args, check_results, run_command=None):
        monkeypatch.setattr(sysctl_check.sysctl, "check", lambda params, mods: check_results)
        calls = []

        def fake_run(self, argv, **kw):
            calls.append(argv)
            return run_command or (1, "", "Cannot connect to the Docker daemon")
        monkeypatch.setattr(basic.AnsibleModule, "run_command", fake_run)
        kind, result = run_main(sysctl_check.main, args)
        return kind, result, calls
    return run


OK = ({"net.ipv4.ip_forward": dict(expected="1", actual="1", boot_value="1", boot_source="f:1",
                                   status="ok", cause="")}, {"br_netfilter": dict(loaded=True, at_boot=True)})
BAD = ({"net.bridge.bridge-nf-call-iptables": dict(expected="1", actual=None, boot_value=None, boot_source=None,
                                                   status="missing", cause="needs br_netfilter")},
       {"br_netfilter": dict(loaded=False, at_boot=False)})


def test_all_ok_is_unchanged_and_reports(module):
    kind, res, _ = module({"parameters": {"net.ipv4.ip_forward": 1}, "modules": ["br_netfilter"],
                           "fail_on_mismatch": True}, OK)
    assert kind == "Exit" and res["changed"] is False
    assert res["failed_parameters"] == [] and res["failed_modules"] == []
    assert res["engine_answered"] is False and res["docker_warnings"] == []


def test_fail_on_mismatch_names_each_parameter_and_module(module):
    kind, res, _ = module({"parameters": {"net.bridge.bridge-nf-call-iptables": 1}, "modules": ["br_netfilter"],
                           "fail_on_mismatch": True}, BAD)
    assert kind == "Fail"
    assert "net.bridge.bridge-nf-call-iptables: missing (needs br_netfilter)" in res["msg"]
    assert "module br_netfilter: not loaded" in res["msg"]
    assert res["failed_parameters"] == ["net.bridge.bridge-nf-call-iptables"]


def test_mismatch_without_fail_on_mismatch_only_reports(module):
    kind, res, _ = module({"parameters": {"net.bridge.bridge-nf-call-iptables": 1}}, BAD)
    assert kind == "Exit" and res["failed_parameters"] == ["net.bridge.bridge-nf-call-iptables"]


def test_docker_warnings_are_filtered_to_kernel_ones(module):
    warnings = ["WARNING: bridge-nf-call-iptables is disabled", "WARNING: No swap limit support",
                "WARNING: IPv4 forwarding is disabled"]
    kind, res, calls = module({"parameters": {"net.ipv4.ip_forward": 1}}, OK, (0, json.dumps(warnings), ""))
    assert calls == [["/usr/bin/docker", "info", "--format", "{{json .Warnings}}"]]
    assert res["engine_answered"] is True
    assert res["docker_warnings"] == [warnings[0], warnings[2]]


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
