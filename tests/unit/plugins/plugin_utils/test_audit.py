"""The audit report: rows, actions, ordering and renderings, from recorded
engine answers (docker info and /system/df of lab hosts)."""

import copy
import json
import os

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.dockerops.host.plugins.filter.audit import FilterModule
from ansible_collections.dockerops.host.plugins.plugin_utils import _audit as audit
from ansible_collections.dockerops.host.plugins.plugin_utils import _audit_html as audit_html

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


# daemon.json with every CIS 2 setting the daemon checks read as the benchmark wants it.
CIS_DAEMON_JSON = {"log-driver": "json-file", "log-opts": {"max-size": "10m", "max-file": "3"}, "icc": False,
                   "no-new-privileges": True, "userland-proxy": False, "userns-remap": "default", "live-restore": True}


def healthy(**over):
    collected = {
        "facts": {"distribution": "Debian", "distribution_version": "12.15", "kernel": "6.1.0-50-amd64"},
        "storage": {"engine": {"answered": True, "version": "29.1.0", "storage_driver": "overlay2"},
                    "devicemapper": {}, "overlay2": {"supported": True, "reasons": ["ok"]}},
        "sysctl": copy.deepcopy(OK_SYSCTL),
        "group": ["alice"],
        "daemon_json": json.dumps(CIS_DAEMON_JSON),
        "host_info": {"host_info": {"ServerVersion": "29.1.0", "Driver": "overlay2", "LoggingDriver": "json-file",
                                    "Warnings": None, "LiveRestoreEnabled": True,
                                    "SecurityOptions": ["name=seccomp,profile=builtin", "name=userns"]},
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
    assert row["findings"] == [] and row["severity"] is None and not audit.needs_action(row)
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
    missing = filters()["_docker_audit_row_missing"]("gone")
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
    page = audit_html.render_html(rows, "2026-11-28T00:00:00Z")
    assert "<b>x</b>" not in page.split('id="audit-data"')[0] and "&lt;b&gt;x&lt;/b&gt;" in page
    assert "http://" not in page and "https://" not in page and "<link" not in page
    assert page.index('data-host="&lt;b&gt;x&lt;/b&gt;"') < page.index('data-host="ok|pipe"')


def test_filters_are_registered_and_raise_filter_errors():
    assert set(filters()) == {"_docker_audit_row", "_docker_audit_row_missing", "_docker_audit_order",
                              "_docker_audit_markdown", "_docker_audit_html", "docker_disk_usage", "docker_size",
                              "_docker_audit_options", "_docker_audit_gate", "_docker_audit_file_paths", "_docker_audit_fleet"}
    with pytest.raises(AnsibleFilterError, match="audit data for h1 must be a dict"):
        filters()["_docker_audit_row"]("nope", "h1")
    with pytest.raises(AnsibleFilterError, match="disk usage must be"):
        filters()["docker_disk_usage"]([])


def test_the_report_through_the_filters_as_the_audit_playbook_chains_them():
    # playbooks/audit.yml: a row per host, a row per host it could not audit, ordered, then rendered.
    f = filters()
    rows = [f["_docker_audit_row"](healthy(), "a-ok"), f["_docker_audit_row"](healthy(daemon_json=""), "b-one")]
    assert rows[0] == audit.build_row("a-ok", healthy()) and codes(rows[1]) == ["no_log_rotation"]
    report = f["_docker_audit_order"](rows + [f["_docker_audit_row_missing"]("c-gone")])
    # The host not audited (audit_incomplete, high) before the one without log rotation (medium).
    assert [r["host"] for r in report] == ["c-gone", "b-one", "a-ok"]
    assert f["_docker_audit_markdown"](report, "2026-11-28T00:00:00Z") == audit.markdown(report, "2026-11-28T00:00:00Z")
    assert f["_docker_audit_html"](report, "2026-11-28T00:00:00Z") == audit_html.render_html(
        report, "2026-11-28T00:00:00Z")
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


# The findings of #18 in the row: docker_audit_info's result recorded on the lab engine (audit_recorded.py), the
# daemon checks on the recorded docker info, the file checks on stat results as ansible.builtin.stat loops them.

def test_every_action_has_its_severity():
    rows = [audit.build_row("a", healthy(daemon_json="", sysctl={}, errors=["x"])),
            audit.build_row("b", healthy(storage={
                "engine": {"answered": True, "version": "20.10.24", "storage_driver": "devicemapper"},
                "devicemapper": {"loop_lvm": True, "data_percent": 91, "metadata_percent": 1}, "overlay2": {}}))]
    got = sorted(set((a["code"], a["severity"]) for r in rows for a in r["actions"]))
    assert got == [("audit_incomplete", "high"), ("bridge_nf_off", "medium"), ("devicemapper", "high"),
                   ("loop_lvm", "high"), ("no_log_rotation", "medium"), ("pool_full", "critical")]
    assert [r["severity"] for r in rows] == ["high", "critical"]
    assert set(rows[0]["actions"][0]) == {"code", "action", "severity"}
    assert "CIS 2.13" in [a for a in rows[0]["actions"] if a["code"] == "no_log_rotation"][0]["action"]


def recorded_host(**over):
    from audit_recorded import module_result
    result = module_result()
    return healthy(audit_info=result, host_info={"host_info": result["daemon"]["info"], "disk_usage": SYSTEM_DF},
                   **over)


def test_findings_of_the_recorded_engine_in_the_row():
    from ansible_collections.dockerops.host.plugins.plugin_utils import _audit_engine as audit_engine
    from audit_recorded import module_result
    row = audit.build_row("lab", recorded_host())
    engine = audit_engine.findings(module_result())
    # The container and image findings all there, with the daemon's (docker info of the same engine, 20.10).
    assert [f for f in row["findings"] if f["check"].startswith(("container_", "image_"))] == engine
    daemon = sorted(f["check"] for f in row["findings"] if f["subject"] == "dockerd")
    # healthy()'s daemon.json has every CIS 2 setting; the engine says live-restore is off all the same (the
    # recorded 20.10 lab engine, its daemon.json not that one): docker info wins.
    assert daemon == ["daemon_live_restore_off", "engine_eol"]
    assert row["severity"] == "critical" and audit.needs_action(row)
    assert row["findings"] == audit_engine.sort_findings(row["findings"])
    for f in row["findings"]:
        assert set(f) == {"check", "cis", "severity", "subject", "detail", "action"}


def test_checks_select_the_groups():
    everything = audit.build_row("lab", recorded_host(sysctl={}))
    prefixes = set(f["check"].split("_")[0] for f in everything["findings"])
    assert prefixes == {"container", "image", "daemon", "engine"}
    only_images = audit.build_row("lab", recorded_host(sysctl={}, checks=["images"]))
    assert only_images["checks"] == ["images"] and only_images["actions"] == []
    assert [f for f in everything["findings"] if f["check"].startswith("image_")] == only_images["findings"]
    host = audit.build_row("lab", recorded_host(sysctl={}, checks="host"))
    assert codes(host) == ["bridge_nf_off"] and host["findings"] == []
    # audit_incomplete stays whatever the groups.
    assert codes(audit.build_row("x", healthy(checks=["images"], errors=["no Docker engine answers"]))) == [
        "audit_incomplete"]


def test_docker_audit_info_without_engine_clock_is_an_incomplete_audit():
    from audit_recorded import module_result
    result = module_result()
    del result["daemon"]["info"]["SystemTime"]
    row = audit.build_row("lab", healthy(audit_info=result))
    assert codes(row) == ["audit_incomplete"]
    assert "docker_audit_info: the result has no daemon.info.SystemTime" in row["actions"][0]["action"]


def test_daemon_findings_from_docker_audit_info_when_docker_host_info_failed():
    from audit_recorded import module_result
    result = module_result()
    row = audit.build_row("lab", healthy(audit_info=result, host_info={}, checks=["daemon"]))
    assert [f["check"] for f in row["findings"]] == ["engine_eol", "daemon_live_restore_off"]


def test_mirror_probes_reach_the_daemon_findings_only_when_gathered():
    from audit_recorded import module_result
    result = module_result()
    # The recorded engine has no mirror; two are set here, with the probes docker_audit_info returns for them.
    result["daemon"]["info"]["RegistryConfig"]["Mirrors"] = ["http://127.0.0.1:5000/", "http://127.0.0.1:5001/"]
    result["gathered"] = ["mirrors"]
    result["mirrors"] = [
        dict(url="http://127.0.0.1:5000/", answers=True, status=401, api_version="registry/2.0", error=None),
        dict(url="http://127.0.0.1:5001/", answers=False, status=None, api_version=None,
             error="connection failed: [Errno 111] Connection refused")]
    row = audit.build_row("lab", healthy(audit_info=result, host_info={}, checks=["daemon"]))
    found = dict((f["check"], f) for f in row["findings"])
    assert found["daemon_registry_mirror_down"]["subject"] == "http://127.0.0.1:5001/"
    assert found["daemon_registry_mirror_down"]["severity"] == "medium"
    assert found["daemon_registry_mirrors"]["detail"] == \
        "registry mirrors: http://127.0.0.1:5000/ (answers), http://127.0.0.1:5001/ (does not answer)"
    # Not gathered (an older result, or gather without mirrors): the mirrors are listed, not judged.
    result["gathered"] = ["containers", "images"]
    row = audit.build_row("lab", healthy(audit_info=result, host_info={}, checks=["daemon"]))
    found = dict((f["check"], f) for f in row["findings"])
    assert "daemon_registry_mirror_down" not in found
    assert found["daemon_registry_mirrors"]["detail"].endswith("(whether each answers is not checked)")


def stat_results(**paths):
    # ansible.builtin.stat's looped results as the play registers them (item, stat, and what else Ansible adds).
    return [{"item": p, "stat": st, "changed": False, "invocation": {}} for p, st in paths.items()] + [
        {"item": "/skipped", "skipped": True}]


def test_file_and_host_findings_in_the_row():
    files = stat_results(**{"/etc/docker/daemon.json": dict(exists=True, mode="0666", pw_name="root",
                                                            gr_name="root")})
    mounts = [{"mount": "/"}]
    info = dict(healthy()["host_info"]["host_info"], DockerRootDir="/var/lib/docker")
    row = audit.build_row("f", healthy(files=files, mounts=mounts, host_info={"host_info": info}))
    assert [(f["check"], f["cis"], f["severity"]) for f in row["findings"]] == [
        ("file_daemon_json", "3.18", "high"), ("data_root_shared", "1.1.1", "medium")]
    assert audit.build_row("f", healthy(files=files, mounts=mounts, host_info={"host_info": info},
                                        checks=["daemon"]))["findings"] == []
    # A dict of path: stat is taken as it is.
    as_dict = audit.build_row("f", healthy(files={"/etc/docker/daemon.json": files[0]["stat"]}))
    assert [f["check"] for f in as_dict["findings"]] == ["file_daemon_json"]


def test_order_by_worst_severity_then_count_then_name():
    crit = audit.build_row("z-crit", healthy(storage={
        "engine": {"answered": True, "version": "29.1.0", "storage_driver": "devicemapper"},
        "devicemapper": {"data_percent": 95, "metadata_percent": 1}, "overlay2": {}}))
    info_only = audit.build_row("a-info", healthy(daemon_json=json.dumps(dict(
        CIS_DAEMON_JSON, **{"registry-mirrors": ["https://m.lab.invalid"]}))))
    assert info_only["severity"] == "info" and not audit.needs_action(info_only)
    many_medium = audit.build_row("m-two", healthy(daemon_json="", sysctl={}))
    one_medium = audit.build_row("b-one", healthy(sysctl={}))
    high = audit.build_row("y-high", healthy(errors=["x"]))
    ok = audit.build_row("a-ok", healthy())
    ordered = audit.order([ok, info_only, one_medium, many_medium, high, crit])
    assert [r["host"] for r in ordered] == ["z-crit", "y-high", "m-two", "b-one", "a-info", "a-ok"]
    assert audit.fleet_summary(ordered)["need_action"] == 4


def test_gate_lists_hosts_and_what_is_at_the_threshold_or_above():
    rows = [audit.build_row("lab", recorded_host()), audit.build_row("ok", healthy()),
            audit.build_row("m", healthy(daemon_json=""))]
    assert audit.gate(rows, "") == [] and audit.gate(rows, None) == []
    lines = audit.gate(rows, "critical")
    assert lines == ["lab: critical container_docker_socket CIS 5.32 (audit-rec-privileged); "
                     "critical container_privileged CIS 5.5 (audit-rec-privileged)"]
    medium = audit.gate(rows, "medium")
    assert [line.split(":")[0] for line in medium] == ["lab", "m"]
    assert "m: medium no_log_rotation; medium daemon_icc_on CIS 2.2 (dockerd)" in medium[1]
    items = medium[0].split(": ", 1)[1].split("; ")
    assert items and {i.split()[0] for i in items} == {"critical", "high", "medium"}
    with pytest.raises(Exception, match="unknown severity 'bad'"):
        audit.gate(rows, "bad")


@pytest.mark.parametrize("checks,fail_on,fail_on_action,expected", [
    (None, None, False, dict(checks=list(audit.CHECK_GROUPS), fail_on="", fail_on_action=False,
                             gather=["containers", "images", "mirrors"])),
    ([], "", "false", dict(checks=list(audit.CHECK_GROUPS), fail_on="", fail_on_action=False,
                           gather=["containers", "images", "mirrors"])),
    (["images", "host"], "High", True, dict(checks=["host", "images"], fail_on="high", fail_on_action=True,
                                            gather=["images"])),
    ("daemon, files", "info", "yes", dict(checks=["daemon", "files"], fail_on="info", fail_on_action=True,
                                          gather=["mirrors"])),
    ("[containers]", " low ", 0, dict(checks=["containers"], fail_on="low", fail_on_action=False,
                                      gather=["containers"])),
    (["'host'"], "critical", None, dict(checks=["host"], fail_on="critical", fail_on_action=False, gather=[])),
])
def test_options(checks, fail_on, fail_on_action, expected):
    assert audit.options(checks, fail_on, fail_on_action) == expected


@pytest.mark.parametrize("checks,fail_on,fail_on_action,message", [
    (["host", "kernel"], "", False,
     "dockerops_audit_checks must name some of host, daemon, files, containers, images; got 'kernel'"),
    (",", "", False, "dockerops_audit_checks must name some of host, daemon, files, containers, images; got ','"),
    ({"host": 1}, "", False, "dockerops_audit_checks must be a list of host, daemon, files, containers, images; got"),
    (None, "severe", False,
     "dockerops_audit_fail_on must be empty (never fail) or one of critical, high, medium, low, info; got 'severe'"),
    (None, "", "perhaps", "dockerops_audit_fail_on_action must be a boolean; got 'perhaps'"),
])
def test_options_refused_by_name(checks, fail_on, fail_on_action, message):
    with pytest.raises(audit.AuditError) as e:
        audit.options(checks, fail_on, fail_on_action)
    assert str(e.value).startswith(message)
    with pytest.raises(AnsibleFilterError, match="^dockerops_audit_"):
        filters()["_docker_audit_options"](checks, fail_on, fail_on_action)


def test_filters_as_the_audit_playbook_calls_them():
    f = filters()
    assert f["_docker_audit_options"]("host")["checks"] == ["host"]
    assert f["_docker_audit_options"]("host")["fail_on_action"] is False
    assert f["_docker_audit_file_paths"](None) == f["_docker_audit_file_paths"]("")
    paths = f["_docker_audit_file_paths"]('{"tlskey": "/etc/docker/key.pem"}')
    assert paths[-1] == "/etc/docker/key.pem" and "/etc/docker/daemon.json" in paths
    assert f["_docker_audit_file_paths"]("") == f["_docker_audit_file_paths"]("{nope") == paths[:-1]
    rows = [f["_docker_audit_row"](recorded_host(), "lab")]
    assert f["_docker_audit_gate"](rows, "critical")[0].startswith("lab: critical container_docker_socket")


def test_markdown_lists_findings_per_host():
    md = audit.markdown([audit.build_row("lab", recorded_host()), audit.build_row("ok", healthy())])
    findings = md.split("## Findings", 1)[1]
    assert "### lab" in findings and "### ok" not in findings
    assert "- critical CIS 5.32 container_docker_socket, audit-rec-privileged: the engine's socket" in findings
    assert "- medium container_writable_layer, audit-rec-writer: its writable layer holds 200 MiB" in findings


def test_markdown_lists_a_hosts_most_severe_findings_only():
    row = audit.build_row("lab", recorded_host())
    row["findings"] = row["findings"] * 10
    assert len(row["findings"]) > audit.MARKDOWN_FINDINGS
    section = audit.markdown([row]).split("## Findings", 1)[1]
    lines = [line for line in section.splitlines() if line.startswith("- ")]
    assert len(lines) == audit.MARKDOWN_FINDINGS + 1
    assert lines[0].startswith("- critical ")
    assert lines[-1] == "- and %d more, less severe (audit.json, audit.html)" % (
        len(row["findings"]) - audit.MARKDOWN_FINDINGS)
    row["findings"] = row["findings"][:audit.MARKDOWN_FINDINGS]
    assert "more, less severe" not in audit.markdown([row])


UUID = "4c4c4544-0042-3510-8052-b4c04f4e4d32"
NET = {"interfaces": ["eth0", "docker0", "veth1"], "eth0": {"type": "ether", "macaddress": "52:54:00:12:34:56"},
       "docker0": {"type": "bridge", "macaddress": "02:42:6a:66:95:2d"},
       "veth1": {"type": "ether", "macaddress": "5a:52:e6:01:52:60"}}
VM_FACTS = {"distribution": "Debian", "distribution_version": "12.15", "kernel": "6.1.0-50-amd64",
            "virtualization_role": "guest", "virtualization_type": "kvm"}


def test_the_row_carries_the_machine_identity_but_not_a_containers():
    row = audit.build_row("vm1", healthy(facts=VM_FACTS, network=NET, product_uuid=UUID.upper() + "\n"))
    assert row["identity"] == {"product_uuid": UUID, "macs": ["52:54:00:12:34:56"]}
    container = dict(VM_FACTS, virtualization_type="docker")
    assert audit.build_row("c1", healthy(facts=container, network=NET, product_uuid=UUID))["identity"] is None
    # Not asked for: the host checks left out.
    assert audit.build_row("vm1", healthy(facts=VM_FACTS, network=NET, product_uuid=UUID,
                                          checks=["daemon"]))["identity"] is None


def test_fleet_flags_cloned_identities_and_raises_their_severity():
    clone = {"interfaces": ["eth0"], "eth0": {"type": "ether", "macaddress": "52:54:00:12:34:56"}}
    other = {"interfaces": ["eth0"], "eth0": {"type": "ether", "macaddress": "52:54:00:00:00:07"}}
    rows = [audit.build_row("vm1", healthy(facts=VM_FACTS, network=NET, product_uuid=UUID)),
            audit.build_row("vm2", healthy(facts=VM_FACTS, network=clone, product_uuid=UUID)),
            audit.build_row("vm3", healthy(facts=VM_FACTS, network=other, product_uuid="")),
            audit.unaudited_row("gone")]
    assert [r["severity"] for r in rows[:3]] == [None, None, None]
    out = filters()["_docker_audit_fleet"](rows)
    assert [codes(r) for r in out] == [["duplicate_identity"] * 2, ["duplicate_identity"] * 2, [], ["audit_incomplete"]]
    assert [r["severity"] for r in out] == ["high", "high", None, "high"]
    assert [a["action"].split(" (")[0] for a in out[0]["actions"]] == [
        "product_uuid %s is also the one of vm2" % UUID, "MAC address 52:54:00:12:34:56 is also on vm2"]
    # The rows given are left as they were; a second pass is not needed (order() does not add them again).
    assert codes(rows[0]) == [] and codes(audit.order(out)[0]) == ["duplicate_identity"] * 2
    with pytest.raises(AnsibleFilterError, match="rows must be a list, got 'dict'"):
        filters()["_docker_audit_fleet"]({})


def test_the_engine_column_sorts_by_version_number():
    # The engine versions of the recorded infos (tests/unit/fixtures/docker_info) and a host without one.
    keys = [audit._version_key(v) for v in ("", "9.0.1", "20.10.24+dfsg1", "28.5.2+dfsg4", "29.0.0-rc.1")]
    assert keys == sorted(keys)
    assert keys[0] == "" and keys[2] == "00020.00010.00024"
