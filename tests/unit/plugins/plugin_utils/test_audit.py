"""The audit report: rows, actions, ordering and renderings, from recorded
engine answers (docker info and /system/df of lab hosts)."""

import copy
import json
import os

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.dockerops.host.plugins.filter.audit import FilterModule
from ansible_collections.dockerops.host.plugins.plugin_utils import audit

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "docker_info")


def filters():
    # Built inside each test, not at import: mutmut 3 maps a test to the functions it calls while it runs.
    return FilterModule().filters()


def load(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return json.load(f)


SYSTEM_DF = load("system_df_20.10_dangling.json")
OK_SYSCTL = {"parameters": {"net.bridge.bridge-nf-call-iptables": {"actual": "1"},
                            "net.bridge.bridge-nf-call-ip6tables": {"actual": "1"}}}


def healthy(**over):
    collected = {
        "facts": {"distribution": "Debian", "distribution_version": "12.15", "kernel": "6.1.0-50-amd64"},
        "storage": {"engine": {"answered": True, "version": "27.3.1", "storage_driver": "overlay2"},
                    "devicemapper": {}, "overlay2": {"supported": True, "reasons": ["ok"]}},
        "sysctl": copy.deepcopy(OK_SYSCTL),
        "group": ["alice"],
        "daemon_json": json.dumps({"log-driver": "json-file", "log-opts": {"max-size": "10m", "max-file": "3"}}),
        "host_info": {"host_info": {"ServerVersion": "27.3.1", "Driver": "overlay2", "LoggingDriver": "json-file",
                                    "Warnings": None},
                      "disk_usage": SYSTEM_DF},
        "errors": [],
    }
    collected.update(over)
    return collected


def codes(row):
    return sorted(a["code"] for a in row["actions"])


def test_disk_usage_is_what_docker_system_df_printed():
    # Recorded together: `docker system df` said 19.07MB / 11.71MB for images, 2.097MB / 2.097MB for containers.
    du = audit.disk_usage(SYSTEM_DF)
    assert du["images"] == dict(total=3, active=1, size=19068336, reclaimable=11712224)
    assert audit.human_size(du["images"]["size"]) == "19.07MB"
    assert audit.human_size(du["images"]["reclaimable"]) == "11.71MB"
    assert du["containers"] == dict(total=1, active=0, size=2097152, reclaimable=2097152)
    assert audit.human_size(du["containers"]["size"]) == "2.097MB"
    assert du["volumes"] == du["build_cache"] == dict(total=0, active=0, size=0, reclaimable=0)


def test_disk_usage_of_volumes_and_build_cache():
    du = audit.disk_usage({"LayersSize": 0, "Volumes": [
        {"UsageData": {"Size": 100, "RefCount": 0}}, {"UsageData": {"Size": 50, "RefCount": 1}},
        {"UsageData": {"Size": -1, "RefCount": 0}}],
        "BuildCache": [{"Size": 10, "InUse": False, "Shared": False}, {"Size": 20, "InUse": True, "Shared": False},
                       {"Size": 40, "InUse": False, "Shared": True}]})
    assert du["volumes"] == dict(total=3, active=1, size=150, reclaimable=100)
    assert du["build_cache"] == dict(total=3, active=1, size=30, reclaimable=10)


def test_a_healthy_host_needs_nothing():
    row = audit.build_row("web1", healthy())
    assert row["actions"] == [] and row["log_rotation"] is True
    assert row["os"] == "Debian 12.15" and row["docker_group"] == ["alice"]


def test_loop_lvm_on_an_engine_due_for_25():
    info = load("devicemapper-loop-20.10.json")
    row = audit.build_row("old1", healthy(
        storage={"engine": {"answered": True, "version": "20.10.24", "storage_driver": "devicemapper"},
                 "devicemapper": {"loop_lvm": True, "data_percent": 1.5, "metadata_percent": 0.3},
                 "overlay2": {"supported": True}},
        host_info={"host_info": info, "disk_usage": SYSTEM_DF}))
    assert codes(row) == ["devicemapper", "loop_lvm"]
    assert "Engine 20.10.24 on devicemapper, which Engine 25 removed" in row["actions"][1]["action"]
    assert len(row["warnings"]) == 2


@pytest.mark.parametrize("data,meta,expected", [(80.0, 10.0, 0), (80.01, 10.0, 1), (10.0, 93.5, 1), (91, 95, 2)])
def test_pool_over_80_percent(data, meta, expected):
    row = audit.build_row("dm1", healthy(storage={
        "engine": {"answered": True, "version": "24.0.7", "storage_driver": "devicemapper"},
        "devicemapper": {"loop_lvm": False, "data_percent": data, "metadata_percent": meta}, "overlay2": {}}))
    assert codes(row).count("pool_full") == expected
    assert "devicemapper" in codes(row)


def test_bridge_nf_off_or_missing_names_each_parameter():
    sysctl = {"parameters": {"net.bridge.bridge-nf-call-iptables": {"actual": "0"},
                             "net.bridge.bridge-nf-call-ip6tables": {"actual": None}}}
    row = audit.build_row("fw1", healthy(sysctl=sysctl))
    assert codes(row) == ["bridge_nf_off"]
    assert "bridge-nf-call-iptables=0" in row["actions"][0]["action"]
    assert "bridge-nf-call-ip6tables=missing" in row["actions"][0]["action"]


def test_every_parameter_lost_at_reboot_is_an_action():
    # sysctl_check's per-parameter statuses, as the audit play registers them.
    lost = "set now, but lost at reboot: no sysctl.d file sets it (/etc/sysctl.conf:2 sets it, but ...)"
    sysctl = {"parameters": {
        "net.bridge.bridge-nf-call-iptables": {"actual": "1", "status": "not_persisted", "cause": lost},
        "net.bridge.bridge-nf-call-ip6tables": {"actual": "1", "status": "ok", "cause": ""},
        "net.ipv4.ip_forward": {"actual": "1", "status": "not_persisted",
                                "cause": "set now, but /usr/lib/sysctl.d/99-x.conf:1 sets 0 at boot"}}}
    row = audit.build_row("fw2", healthy(sysctl=sysctl))
    assert codes(row) == ["not_persisted"]
    assert row["actions"][0]["action"] == (
        "Kernel parameters set now but lost at the next boot: net.bridge.bridge-nf-call-iptables=1 (%s); "
        "net.ipv4.ip_forward=1 (set now, but /usr/lib/sysctl.d/99-x.conf:1 sets 0 at boot); "
        "persist them with dockerops.host.kernel_params" % lost)
    assert "2 hosts, 1 need action" in audit.markdown([row, audit.build_row("ok", healthy())])
    # Also on a host without an engine: the value is lost at reboot all the same.
    storage = {"engine": {"answered": False}}
    assert codes(audit.build_row("fw3", healthy(sysctl=sysctl, storage=storage, host_info={},
                                                errors=["no Docker engine answers"]))) == [
        "audit_incomplete", "not_persisted"]
    # A container runs on another host's kernel: nothing of its own to persist (a VM guest still has its own).
    facts = {"distribution": "Debian", "distribution_version": "12.15", "kernel": "6.1.0-50-amd64",
             "virtualization_role": "guest"}
    assert codes(audit.build_row("c1", healthy(sysctl=sysctl, facts=dict(facts, virtualization_type="docker")))) == []
    assert codes(audit.build_row("vm1", healthy(sysctl=sysctl, facts=dict(facts, virtualization_type="kvm")))) == [
        "not_persisted"]
    nspawn = dict(facts, virtualization_type="systemd-nspawn", virtualization_tech_guest=["container", "systemd-nspawn"])
    assert codes(audit.build_row("c2", healthy(sysctl=sysctl, facts=nspawn))) == []


@pytest.mark.parametrize("daemon_json,driver,rotated", [
    ("", "json-file", False),
    ('{"log-opts": {"max-file": "3"}}', "json-file", False),
    ('{"log-opts": {"max-size": "10m"}}', "json-file", True),
    ('{"log-driver": "local"}', "local", True),
    ('{"log-driver": "journald"}', "journald", True),
])
def test_log_rotation(daemon_json, driver, rotated):
    collected = healthy(daemon_json=daemon_json)
    collected["host_info"]["host_info"]["LoggingDriver"] = driver
    row = audit.build_row("h", collected)
    assert row["log_rotation"] is rotated
    assert ("no_log_rotation" in codes(row)) is (not rotated)


def test_invalid_daemon_json_is_reported_not_fatal():
    row = audit.build_row("h", healthy(daemon_json="{nope"))
    assert codes(row) == ["audit_incomplete", "no_log_rotation"]
    assert "daemon.json is not valid JSON" in row["actions"][0]["action"]


def test_host_without_engine_or_audit():
    row = audit.build_row("bare", {"facts": {}, "storage": {"engine": {"answered": False}},
                                   "errors": ["no Docker engine answers"]})
    assert codes(row) == ["audit_incomplete"] and row["log_rotation"] is None
    missing = filters()["docker_audit_row_missing"]("gone")
    assert codes(missing) == ["audit_incomplete"] and "unreachable" in missing["actions"][0]["action"]


def test_order_puts_hosts_needing_action_first():
    rows = [audit.build_row("a-ok", healthy()),
            audit.build_row("b-one", healthy(daemon_json="")),
            audit.build_row("c-two", healthy(daemon_json="", sysctl={})),
            audit.build_row("a-one", healthy(daemon_json=""))]
    assert [r["host"] for r in audit.order(rows)] == ["c-two", "a-one", "b-one", "a-ok"]


def test_markdown_and_html():
    rows = [audit.build_row("ok|pipe", healthy()), audit.build_row("<b>x</b>", healthy(daemon_json=""))]
    md = audit.markdown(rows, "2026-11-28T00:00:00Z")
    lines = [line for line in md.splitlines() if line.startswith("| ")]
    assert lines[1].startswith("| <b>x</b> |") and lines[2].startswith("| ok\\|pipe |")
    assert "2 hosts, 1 need action" in md and "### <b>x</b>" in md
    page = audit.render_html(rows, "2026-11-28T00:00:00Z")
    assert "<b>x</b>" not in page.split('id="audit-data"')[0] and "&lt;b&gt;x&lt;/b&gt;" in page
    assert "http://" not in page and "https://" not in page and "<link" not in page
    assert page.index('data-host="&lt;b&gt;x&lt;/b&gt;"') < page.index('data-host="ok|pipe"')


def test_filters_are_registered_and_raise_filter_errors():
    assert set(filters()) == {"docker_audit_row", "docker_audit_row_missing", "docker_audit_order",
                              "docker_audit_markdown", "docker_audit_html", "docker_disk_usage", "docker_size"}
    with pytest.raises(AnsibleFilterError, match="audit data for h1 must be a dict"):
        filters()["docker_audit_row"]("nope", "h1")
    with pytest.raises(AnsibleFilterError, match="disk usage must be"):
        filters()["docker_disk_usage"]([])


def test_the_report_through_the_filters_as_the_audit_playbook_chains_them():
    # playbooks/audit.yml: a row per host, a row per host it could not audit, ordered, then rendered.
    f = filters()
    rows = [f["docker_audit_row"](healthy(), "a-ok"), f["docker_audit_row"](healthy(daemon_json=""), "b-one")]
    assert rows[0] == audit.build_row("a-ok", healthy()) and codes(rows[1]) == ["no_log_rotation"]
    report = f["docker_audit_order"](rows + [f["docker_audit_row_missing"]("c-gone")])
    assert [r["host"] for r in report] == ["b-one", "c-gone", "a-ok"]
    assert f["docker_audit_markdown"](report, "2026-11-28T00:00:00Z") == audit.markdown(report, "2026-11-28T00:00:00Z")
    assert f["docker_audit_html"](report, "2026-11-28T00:00:00Z") == audit.render_html(report,
                                                                                       "2026-11-28T00:00:00Z")
    # playbooks/prune.yml prints sizes with docker_size, as `docker system df` printed them (recorded together).
    du = f["docker_disk_usage"](SYSTEM_DF)
    assert (f["docker_size"](du["images"]["size"]), f["docker_size"](du["images"]["reclaimable"])) == \
        ("19.07MB", "11.71MB")


def test_containerd_image_store_is_healthy_and_named():
    # Recorded on Engine 28.5.2 with the containerd image store (README in the fixtures).
    info = load("overlayfs-containerd-28.5.json")
    row = audit.build_row("c8d", healthy(
        storage={"engine": {"answered": True, "version": info["ServerVersion"], "storage_driver": "overlayfs",
                            "image_store": "containerd"},
                 "devicemapper": {}, "overlay2": {"supported": True, "reasons": ["ok"]},
                 "decision": {"healthy": True, "migrate": False}},
        host_info={"host_info": info, "disk_usage": SYSTEM_DF}))
    assert codes(row) == [] and row["storage_driver"] == "overlayfs"
    assert row["image_store"] == "containerd" and row["storage_healthy"] is True
    assert "overlayfs (containerd image store)" in audit.markdown([row], "2026-11-28T00:00:00Z")
    # From docker info alone (no storage facts), the store is read the same way.
    row = audit.build_row("c8d", healthy(storage={}, host_info={"host_info": info}))
    assert row["storage_driver"] == "overlayfs" and row["image_store"] == "containerd"
    plain = audit.build_row("plain", healthy(storage={}, host_info={"host_info": load("overlay2-28.5.json")}))
    assert plain["image_store"] == "graphdriver"
