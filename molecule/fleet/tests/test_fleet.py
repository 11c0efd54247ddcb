"""The audit and prune playbooks, run as an operator runs them, against the
three lab hosts; the report and the reclaimed space are checked against what
the hosts themselves say (docker system df, docker images)."""

import html.parser
import json
import os
import re
import subprocess

import pytest
import testinfra

INVENTORY_FILE = os.environ["MOLECULE_INVENTORY_FILE"]
INVENTORY = os.path.dirname(INVENTORY_FILE)
HOSTS = ("fleet-healthy", "fleet-dirty", "fleet-loop")
UNITS = {"B": 1, "kB": 1e3, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12}


def lab_host(name):
    return testinfra.get_host("ansible://%s?ansible_inventory=%s" % (name, INVENTORY_FILE))


def playbook(name, tmp, *args):
    """ansible-playbook as an operator runs it from a shell in tmp; output is stdout and stderr together."""
    result = subprocess.run(["ansible-playbook", "dockerops.host." + name, "-i", INVENTORY, *args],
                            cwd=str(tmp), env=dict(os.environ, PWD=str(tmp)),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    print(result.stdout[-8000:])
    return result


def recap_changed(stdout):
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)", stdout, re.M)}


def size(text):
    """Bytes from docker's decimal human size ("19.07MB", "0B"), and its rounding error bound."""
    m = re.match(r"([0-9.]+)\s*([kKMGT]?B)", text)
    value = float(m.group(1)) * UNITS[m.group(2)]
    digits = len(m.group(1).replace(".", "").lstrip("0")) or 1
    return value, 0.5 * 10 ** (len(m.group(1).split(".")[0]) - digits) * UNITS[m.group(2)]


def system_df(name):
    out = lab_host(name).check_output("docker system df --format '{{json .}}'")
    rows = {}
    for line in out.splitlines():
        row = json.loads(line)
        rows[row["Type"]] = dict(total=int(row["TotalCount"]), active=int(row["Active"]),
                                 size=size(row["Size"]), reclaimable=size(row["Reclaimable"]))
    return rows


def close(value, human):
    """value (bytes) agrees with docker's rounded human size."""
    shown, err = human
    return abs(value - shown) <= err + 1


@pytest.fixture(scope="module")
def audit(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("audit")
    result = playbook("audit", tmp)
    report = tmp / "dockerops-audit"
    return dict(result=result, json=json.loads((report / "audit.json").read_text()),
                md=(report / "audit.md").read_text(), html=(report / "audit.html").read_text())


def test_audit_runs_and_changes_no_host(audit):
    assert audit["result"].returncode == 0
    changed = recap_changed(audit["result"].stdout)
    assert {h: changed[h] for h in HOSTS} == {h: 0 for h in HOSTS}


def test_hosts_needing_action_first_each_action_named(audit):
    rows = audit["json"]["hosts"]
    # Worst severity first: the dirty host's privileged container with the socket (critical), the VM's loop-lvm
    # and devicemapper (high), then the healthy host.
    assert [r["host"] for r in rows] == ["fleet-dirty", "fleet-loop", "fleet-healthy"]
    assert [r["severity"] for r in rows[:2]] == ["critical", "high"]
    codes = {r["host"]: sorted((a["code"], a["severity"]) for a in r["actions"]) for r in rows}
    # The VM's bridge-nf values are dockerd's, set at its start: no sysctl.d file keeps them at boot. The
    # containers run on the lab machine's kernel, which is not theirs to persist. The VM has no Docker SDK.
    assert codes == {"fleet-loop": [("audit_incomplete", "high"), ("devicemapper", "high"), ("loop_lvm", "high"),
                                    ("no_log_rotation", "medium"), ("not_persisted", "medium")],
                     "fleet-dirty": [("no_log_rotation", "medium")],
                     "fleet-healthy": []}


def findings_of(row, group_prefix=""):
    return {(f["check"], f["subject"]): f for f in row["findings"] if f["check"].startswith(group_prefix)}


def test_dirty_hosts_findings_are_what_the_engine_says(audit):
    row = {r["host"]: r for r in audit["json"]["hosts"]}["fleet-dirty"]
    h = lab_host("fleet-dirty")
    inspect = json.loads(h.check_output("docker container inspect priv-sock"))[0]
    assert inspect["HostConfig"]["Privileged"] is True
    assert "/var/run/docker.sock" in [m["Source"] for m in inspect["Mounts"]]
    found = findings_of(row)
    assert (found[("container_privileged", "priv-sock")]["cis"], found[("container_privileged", "priv-sock")]["severity"]) \
        == ("5.5", "critical")
    assert found[("container_docker_socket", "priv-sock")]["cis"] == "5.32"
    privileged = {n for n in h.check_output("docker ps -aq --no-trunc").split()
                  if json.loads(h.check_output("docker container inspect %s" % n))[0]["HostConfig"]["Privileged"]}
    assert len([f for f in row["findings"] if f["check"] == "container_privileged"]) == len(privileged) == 1
    # One HEALTHCHECK-less finding per image docker lists (all imported, none has one).
    images = set(h.check_output("docker images -aq --no-trunc").split())
    assert len([f for f in row["findings"] if f["check"] == "image_no_healthcheck"]) == len(images) == 3
    # CIS 2 from docker info and the absent daemon.json.
    info = json.loads(h.check_output("docker info --format '{{json .}}'"))
    assert h.run("test -e /etc/docker/daemon.json").rc != 0 and info["LiveRestoreEnabled"] is False
    assert not any("userns" in o for o in info["SecurityOptions"])
    daemon = {f["check"]: f["cis"] for f in row["findings"] if f["subject"] == "dockerd"}
    assert {"daemon_icc_on": "2.2", "daemon_userns_off": "2.9", "daemon_no_new_privileges_off": "2.14",
            "daemon_live_restore_off": "2.15", "daemon_userland_proxy_on": "2.16"}.items() <= daemon.items()
    version = h.check_output("docker version --format '{{.Server.Version}}'")
    assert daemon["engine_eol"] == "1.2.2"
    assert [f["detail"] for f in row["findings"] if f["check"] == "engine_eol"][0].startswith("Engine %s:" % version)
    # The socket and the unit files are as the benchmark wants, so no file finding; the data root is a volume.
    assert h.check_output("stat -c '%a %U:%G' /var/run/docker.sock") == "660 root:docker"
    assert findings_of(row, "file_") == {} and findings_of(row, "data_root") == {}
    assert row["checks"] == ["host", "daemon", "files", "containers", "images"]
    severities = ["critical", "high", "medium", "low", "info"]
    assert [severities.index(f["severity"]) for f in row["findings"]] == \
        sorted(severities.index(f["severity"]) for f in row["findings"])


def test_gate_fails_naming_the_host_and_its_findings(tmp_path):
    result = playbook("audit", tmp_path, "-e", "dockerops_hosts=fleet-dirty", "-e", "dockerops_audit_fail_on=high")
    assert result.returncode != 0
    assert "Hosts with findings at high or above: fleet-dirty: critical container_docker_socket CIS 5.32 (priv-sock)" \
        in result.stdout
    assert "critical container_privileged CIS 5.5 (priv-sock)" in result.stdout


def test_gate_passes_with_the_host_checks_only(tmp_path):
    extra = tmp_path / "vars.json"
    extra.write_text(json.dumps({"dockerops_hosts": "fleet-dirty", "dockerops_audit_fail_on": "high",
                                 "dockerops_audit_checks": ["host"]}))
    result = playbook("audit", tmp_path, "-e", "@%s" % extra)
    assert result.returncode == 0
    row = json.loads((tmp_path / "dockerops-audit" / "audit.json").read_text())["hosts"][0]
    assert row["host"] == "fleet-dirty" and row["checks"] == ["host"]
    assert row["findings"] == [] and row["actions"] == [] and row["severity"] is None


def test_audit_refuses_a_bad_option_before_any_host(tmp_path):
    result = playbook("audit", tmp_path, "-e", "dockerops_audit_fail_on=severe")
    assert result.returncode != 0
    assert "dockerops_audit_fail_on must be empty (never fail) or one of critical, high, medium, low, info; got " \
        "'severe'" in result.stdout
    assert not any(h in recap_changed(result.stdout) for h in HOSTS)


def test_rows_describe_each_host(audit):
    rows = {r["host"]: r for r in audit["json"]["hosts"]}
    loop, dirty, healthy = rows["fleet-loop"], rows["fleet-dirty"], rows["fleet-healthy"]
    assert loop["storage_driver"] == "devicemapper" and loop["loop_lvm"] is True
    assert loop["engine_version"].startswith("20.10") and loop["os"].startswith("Debian 12")
    assert 0 <= loop["pool_data_percent"] < 80 and 0 <= loop["pool_metadata_percent"] < 80
    assert loop["overlay2_supported"] is True
    assert int(dirty["engine_version"].split(".")[0]) >= 26 and dirty["os"].startswith("Debian 13")
    assert healthy["storage_driver"] == dirty["storage_driver"] == "overlay2"
    assert healthy["log_rotation"] is True and dirty["log_rotation"] is False
    assert healthy["docker_group"] == ["alice"] and dirty["docker_group"] == []
    for row in rows.values():
        assert row["bridge_nf"] == {"net.bridge.bridge-nf-call-iptables": "1",
                                    "net.bridge.bridge-nf-call-ip6tables": "1"}
        assert row["kernel"]
    assert dirty["errors"] == healthy["errors"] == []
    # The VM has no Docker SDK: its audit says so and the play went on.
    assert len(loop["errors"]) == 1 and loop["errors"][0].startswith("docker_audit_info: ")
    assert "python3-docker" in loop["errors"][0]
    assert lab_host("fleet-loop").run("python3 -c 'import docker'").rc != 0
    # The VM's data root is on its root file system (CIS 1.1.1); the containers' is a volume of its own.
    assert [f["cis"] for f in loop["findings"] if f["check"] == "data_root_shared"] == ["1.1.1"]
    assert lab_host("fleet-loop").check_output("findmnt -n -o TARGET -T /var/lib/docker") == "/"
    assert any("devicemapper" in w for w in loop["warnings"])


def test_machine_identity_is_what_the_vm_says_and_no_host_repeats_one(audit):
    rows = {r["host"]: r for r in audit["json"]["hosts"]}
    # The VM's own adapter (QEMU's NIC) and DMI product_uuid, as its kernel shows them; the containers run on the
    # lab machine, whose identity is not theirs.
    vm = lab_host("fleet-loop")
    mac = vm.check_output("cat /sys/class/net/eth0/address").strip().lower()
    uuid_file = vm.file("/sys/class/dmi/id/product_uuid")
    uuid = uuid_file.content_string.strip().lower() if uuid_file.exists else ""
    uuid = uuid if re.match(r"^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$", uuid) else None
    assert rows["fleet-loop"]["identity"] == {"product_uuid": uuid, "macs": [mac]}
    assert rows["fleet-dirty"]["identity"] is None and rows["fleet-healthy"]["identity"] is None
    assert not any(a["code"] == "duplicate_identity" for r in rows.values() for a in r["actions"])


def test_disk_usage_matches_docker_system_df(audit):
    rows = {r["host"]: r for r in audit["json"]["hosts"]}
    for name in HOSTS:
        df = system_df(name)
        mine = rows[name]["disk_usage"]
        for kind, title in (("images", "Images"), ("containers", "Containers"), ("volumes", "Local Volumes"),
                            ("build_cache", "Build Cache")):
            assert mine[kind]["total"] == df[title]["total"], (name, kind)
            assert mine[kind]["active"] == df[title]["active"], (name, kind)
            assert close(mine[kind]["size"], df[title]["size"]), (name, kind, mine[kind], df[title])
            assert close(mine[kind]["reclaimable"], df[title]["reclaimable"]), (name, kind, mine[kind], df[title])
    assert rows["fleet-dirty"]["disk_usage"]["images"]["total"] == 3


def test_markdown_lists_hosts_in_order_with_actions(audit):
    md = audit["md"]
    table = [line.split("|")[1].strip() for line in md.splitlines() if line.startswith("| fleet-")]
    assert table == ["fleet-dirty", "fleet-loop", "fleet-healthy"]
    needing = sum(1 for r in audit["json"]["hosts"] if r["severity"] not in (None, "info"))
    assert "3 hosts, %d need action" % needing in md and needing >= 2
    actions, findings = md.split("## Actions", 1)[1].split("## Findings", 1)
    assert "### fleet-loop" in actions and "high: On devicemapper loop-lvm" in actions
    assert "### fleet-healthy" not in actions
    assert "- critical CIS 5.32 container_docker_socket, priv-sock: " in findings.split("### fleet-loop")[0]


class _Table(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.headers, self.rows, self.external, self._in_th = [], [], [], False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "th":
            self._in_th = True
        if tag == "tr" and "data-host" in attrs:
            self.rows.append(attrs["data-host"])
        for key in ("src", "href"):
            if attrs.get(key):
                self.external.append(attrs[key])
        if tag == "link":
            self.external.append(str(attrs))

    def handle_endtag(self, tag):
        self._in_th = self._in_th and tag != "th"

    def handle_data(self, data):
        if self._in_th:
            self.headers.append(data)


def test_html_is_self_contained_and_sortable(audit):
    table = _Table()
    table.feed(audit["html"])
    assert table.rows[:3] == ["fleet-dirty", "fleet-loop", "fleet-healthy"]
    assert table.external == []
    assert {"Host", "Actions", "Storage", "Images"} <= set(table.headers)
    assert "addEventListener('click'" in audit["html"] and "data-sort=" in audit["html"]


def inventory_of(name):
    h = lab_host(name)
    return (sorted(h.check_output("docker images -aq --no-trunc").split()),
            sorted(h.check_output("docker ps -aq --no-trunc").split()))


@pytest.fixture(scope="module")
def prune_check(tmp_path_factory, audit):
    tmp = tmp_path_factory.mktemp("prune-check")
    before = {name: inventory_of(name) for name in HOSTS}
    result = playbook("prune", tmp, "--check", "-e", "dockerops_prune_containers=true",
                      "-e", "dockerops_prune_report=%s/prune.json" % tmp)
    return dict(result=result, before=before, report=json.loads((tmp / "prune.json").read_text()))


def test_prune_check_removes_nothing_and_lists_what_would_go(prune_check):
    assert prune_check["result"].returncode == 0
    assert {name: inventory_of(name) for name in HOSTS} == prune_check["before"]
    report = prune_check["report"]
    assert report["check_mode"] is True and report["hosts"] == {}
    assert report["would_reclaim"]["fleet-healthy"] == report["would_reclaim"]["fleet-loop"] == 0
    assert report["would_reclaim"]["fleet-dirty"] > 11_000_000
    assert "Would remove 2 images, 2 stopped containers" in prune_check["result"].stdout


@pytest.fixture(scope="module")
def prune(tmp_path_factory, prune_check):
    tmp = tmp_path_factory.mktemp("prune")
    before = system_df("fleet-dirty")
    result = playbook("prune", tmp, "-e", "dockerops_prune_containers=true",
                      "-e", "dockerops_prune_report=%s/prune.json" % tmp)
    return dict(result=result, before=before, after=system_df("fleet-dirty"),
                report=json.loads((tmp / "prune.json").read_text()), estimate=prune_check["report"]["would_reclaim"])


def test_prune_reclaimed_matches_docker_system_df(prune):
    assert prune["result"].returncode == 0
    hosts = prune["report"]["hosts"]
    dirty = hosts["fleet-dirty"]
    freed = {kind: (prune["before"][title]["size"][0] - prune["after"][title]["size"][0],
                    prune["before"][title]["size"][1] + prune["after"][title]["size"][1])
             for kind, title in (("images", "Images"), ("containers", "Containers"))}
    for kind, (shown, err) in freed.items():
        assert abs(dirty[kind] - shown) <= err + 1, (kind, dirty[kind], shown, err)
    assert dirty["total"] == dirty["images"] + dirty["containers"] + dirty["build_cache"]
    assert dirty["total"] == prune["estimate"]["fleet-dirty"]
    assert hosts["fleet-healthy"]["total"] == hosts["fleet-loop"]["total"] == 0
    assert prune["report"]["total_bytes"] == sum(h["total"] for h in hosts.values())
    assert "Reclaimed fleet-" in prune["result"].stdout and "in total" in prune["result"].stdout


def test_prune_kept_what_is_not_garbage(prune):
    h = lab_host("fleet-dirty")
    assert h.check_output("docker images -q --filter dangling=true") == ""
    assert h.check_output("docker ps -aq") == ""
    assert h.run("docker image inspect lab/app:1").rc == 0


def test_prune_refuses_a_bad_option_by_name(tmp_path):
    result = playbook("prune", tmp_path, "-e", "dockerops_prune_images_older_than=soon")
    assert result.returncode != 0
    assert "dockerops_prune_images_older_than must be empty (dangling images only) or a whole number of hours, 1 or " \
        "more; got 'soon'." in result.stdout
    changed = recap_changed(result.stdout)
    assert {h: changed[h] for h in HOSTS} == {h: 0 for h in HOSTS}


# Invalid variables are refused by argument_specs before anything runs; the
# wording names the variable, what was given and what is allowed.
BAD_INPUT = [
    ("kernel_params", {"kernel_params_extra": "vm.swappiness"},
     ["kernel_params_extra", "unable to convert to dict"]),
    ("docker_install_ubuntu", {"docker_install_ubuntu_channel": "nightly2"},
     ["value of docker_install_ubuntu_channel must be one of: stable, test, edge, nightly, got: nightly2"]),
    ("docker_storage", {"docker_storage_driver": "zfs"},
     ["value of docker_storage_driver must be one of: auto, overlay2, devicemapper, got: zfs"]),
    ("docker_daemon", {"docker_daemon_registry_mirrors": {"url": "https://m"}},
     ["docker_daemon_registry_mirrors", "unable to convert to list"]),
    ("docker_group", {"docker_group_create_users": "perhaps"},
     ["docker_group_create_users", "unable to convert to bool", "perhaps"]),
]


@pytest.mark.parametrize("role,bad,wording", BAD_INPUT, ids=[case[0] for case in BAD_INPUT])
def test_invalid_variables_refused_before_any_change(tmp_path, role, bad, wording):
    host = lab_host("fleet-healthy")
    before = host.check_output("sha256sum /etc/docker/daemon.json; ls -l --time-style=+%s /etc/docker /etc/apt/sources.list.d")
    extra = tmp_path / "bad.json"
    extra.write_text(json.dumps(dict(bad, role_under_test=role)))
    result = subprocess.run(["ansible-playbook", os.path.join(os.path.dirname(__file__), "..", "one-role.yml"),
                             "-i", INVENTORY, "-e", "@%s" % extra],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    print(result.stdout[-3000:])
    assert result.returncode == 2
    assert "Validation of arguments failed" in result.stdout
    for words in wording:
        assert words in result.stdout
    assert recap_changed(result.stdout)["fleet-healthy"] == 0
    assert host.check_output(
        "sha256sum /etc/docker/daemon.json; ls -l --time-style=+%s /etc/docker /etc/apt/sources.list.d") == before
