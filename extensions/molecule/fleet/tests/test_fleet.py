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
FIX_PLAYBOOK = os.path.join(os.path.dirname(__file__), "..", "fix.yml")
MIB = 1048576
MIRRORS = ["http://127.0.0.1:5000", "http://127.0.0.1:5001"]
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
    # One HEALTHCHECK-less finding per image docker lists (none has one): the top-level images, not the legacy
    # builder's intermediate ones (docker images -a), which the audit does not read.
    images = set(h.check_output("docker images -q --no-trunc").split())
    assert len([f for f in row["findings"] if f["check"] == "image_no_healthcheck"]) == len(images)
    assert len(set(h.check_output("docker images -aq --no-trunc").split())) > len(images)
    # CIS 2 from docker info and daemon.json, which holds the registry mirrors only.
    info = json.loads(h.check_output("docker info --format '{{json .}}'"))
    assert json.loads(h.file("/etc/docker/daemon.json").content_string) == {"registry-mirrors": MIRRORS}
    assert info["LiveRestoreEnabled"] is False
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


def dirty_row(audit):
    return {r["host"]: r for r in audit["json"]["hosts"]}["fleet-dirty"]


def subjects(row, check):
    return sorted(f["subject"] for f in row["findings"] if f["check"] == check)


def test_state_in_a_running_containers_layer_is_found(audit):
    row = dirty_row(audit)
    h = lab_host("fleet-dirty")
    inspect = json.loads(h.check_output("docker container inspect --size state-writer"))[0]
    assert inspect["State"]["Running"] is True and inspect["HostConfig"]["NetworkMode"] == "none"
    assert inspect["SizeRw"] >= 200 * MIB
    found = findings_of(row)[("container_writable_layer", "state-writer")]
    assert (found["severity"], found["cis"]) == ("medium", None)
    assert found["detail"] == "its writable layer holds %.0f MiB (more than 100 MiB)" % (inspect["SizeRw"] / MIB)
    # Only the containers whose layer docker says holds more than 100 MiB (stopped-writer's holds 2 MB).
    sizes = {json.loads(h.check_output("docker container inspect --size %s" % c))[0]["Name"].lstrip("/"):
             json.loads(h.check_output("docker container inspect --size %s" % c))[0]["SizeRw"]
             for c in h.check_output("docker ps -aq").split()}
    assert subjects(row, "container_writable_layer") == sorted(n for n, s in sizes.items() if s > 100 * MIB) \
        == ["state-writer"]


def test_committed_image_is_found_by_its_history(audit):
    row = dirty_row(audit)
    h = lab_host("fleet-dirty")
    history = [json.loads(line) for line in
               h.check_output("docker history --no-trunc --format '{{json .}}' lab/committed:1").splitlines()]
    committed = json.loads(h.check_output("docker container inspect stopped-writer"))[0]
    command = " ".join([committed["Path"]] + committed["Args"])
    assert history[0]["CreatedBy"] == command
    found = findings_of(row)[("image_docker_commit", "lab/committed:1")]
    assert found["severity"] == "medium"
    assert found["detail"] == "1 layer(s) made by docker commit, not a Dockerfile (%r)" % command
    # The built and the imported images are not taken for committed ones.
    assert subjects(row, "image_docker_commit") == ["lab/committed:1"]


def test_image_over_the_layer_budget_is_found(audit):
    row = dirty_row(audit)
    h = lab_host("fleet-dirty")
    layers = len(json.loads(h.check_output("docker image inspect lab/layers:1"))[0]["RootFS"]["Layers"])
    runs = [line for line in h.check_output("docker history --no-trunc --format '{{.CreatedBy}}' lab/layers:1")
            .splitlines() if line.startswith("/bin/sh -c echo ")]
    assert layers == len(runs) + 1 == 41
    found = findings_of(row)[("image_layer_budget", "lab/layers:1")]
    assert (found["severity"], found["detail"]) == ("medium", "%d layers, more than the budget of 30" % layers)
    assert subjects(row, "image_layer_budget") == ["lab/layers:1"]


def test_registry_mirror_that_does_not_answer_is_found(audit):
    row = dirty_row(audit)
    h = lab_host("fleet-dirty")
    # As docker info lists them (dockerd adds the slash); Debian's docker-registry answers on :5000, nothing
    # listens on :5001 (curl's exit 7: the connection refused).
    mirrors = json.loads(h.check_output("docker info --format '{{json .RegistryConfig.Mirrors}}'"))
    assert mirrors == [m + "/" for m in MIRRORS]
    assert h.check_output("curl -s -o /dev/null -w '%%{http_code}' %s/v2/" % MIRRORS[0]) == "200"
    assert h.run("curl -s -o /dev/null %s/v2/" % MIRRORS[1]).rc == 7
    down = [f for f in row["findings"] if f["check"] == "daemon_registry_mirror_down"]
    assert [(f["subject"], f["severity"], f["cis"]) for f in down] == [(mirrors[1], "medium", None)]
    assert down[0]["detail"].startswith("does not answer as a registry: connection failed")
    info = [f for f in row["findings"] if f["check"] == "daemon_registry_mirrors"]
    assert [f["detail"] for f in info] == ["registry mirrors: %s (answers), %s (does not answer)" % tuple(mirrors)]


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
    assert rows["fleet-dirty"]["disk_usage"]["images"]["total"] == \
        len(set(lab_host("fleet-dirty").check_output("docker images -q --no-trunc").split()))


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
    # The running container stays, with its 200 MB; the tagged images stay.
    assert h.check_output("docker ps -a --format '{{.Names}} {{.State}}'") == "state-writer running"
    assert json.loads(h.check_output("docker container inspect --size state-writer"))[0]["SizeRw"] >= 200 * MIB
    assert sorted(h.check_output("docker images --format '{{.Repository}}:{{.Tag}}'").split()) == \
        ["lab/app:1", "lab/committed:1", "lab/layers:1"]


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


def md_section(md, host):
    """The host's part of audit.md: the table's header and its row, its actions and its findings."""
    lines = md.splitlines()
    out = [line for line in lines if line.startswith("| Host |") or line.startswith("| %s |" % host)]
    for part in ("## Actions", "## Findings"):
        if part not in md:
            continue
        block = md.split(part, 1)[1].split("\n## ", 1)[0]
        mine = [b for b in block.split("\n### ")[1:] if b.startswith(host + "\n")]
        out += ["", part, ""] + ["### " + b.strip() for b in mine]
    return "\n".join(out)


@pytest.fixture(scope="module")
def fixed(tmp_path_factory, prune):
    """The recommended fixes (fix.yml) on the pruned dirty host, then the audit again."""
    tmp = tmp_path_factory.mktemp("fixed")
    result = subprocess.run(["ansible-playbook", FIX_PLAYBOOK, "-i", INVENTORY],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    print(result.stdout[-6000:])
    assert result.returncode == 0
    audit = playbook("audit", tmp, "-e", "dockerops_hosts=fleet-dirty")
    report = tmp / "dockerops-audit"
    md = (report / "audit.md").read_text()
    return dict(result=audit, row=json.loads((report / "audit.json").read_text())["hosts"][0], md=md,
                section=md_section(md, "fleet-dirty"))


def test_fixed_host_report_excerpt(fixed):
    # The re-audit's fleet-dirty section of audit.md, for the README (pytest -rP shows it).
    print(fixed["section"])
    assert fixed["result"].returncode == 0 and fixed["row"]["host"] == "fleet-dirty"
    assert "### fleet-dirty" in fixed["section"] and "daemon_userns_off" in fixed["section"]


def test_fixed_state_is_in_a_volume(fixed):
    h = lab_host("fleet-dirty")
    inspect = json.loads(h.check_output("docker container inspect --size state-writer"))[0]
    assert inspect["State"]["Running"] is True
    assert inspect["SizeRw"] < MIB
    assert [(m["Type"], m["Name"], m["Destination"]) for m in inspect["Mounts"]] == \
        [("volume", "state-writer-data", "/data")]
    volume = json.loads(h.check_output("docker volume inspect state-writer-data"))[0]["Mountpoint"]
    assert int(h.check_output("stat -c %%s %s/state" % volume)) == 200 * MIB
    assert subjects(fixed["row"], "container_writable_layer") == []


def test_fixed_images_rebuilt_or_removed(fixed):
    h = lab_host("fleet-dirty")
    assert h.run("docker image inspect lab/committed:1").rc != 0
    image = json.loads(h.check_output("docker image inspect lab/layers:1"))[0]
    assert len(image["RootFS"]["Layers"]) == 2
    assert image["Config"]["Healthcheck"]["Test"] == ["CMD", "/bin/sh", "-c", "test -e /step-40"]
    row = fixed["row"]
    assert subjects(row, "image_docker_commit") == subjects(row, "image_layer_budget") == []
    # No image left untagged by the rebuild; the one left without a HEALTHCHECK is lab/app:1, the base.
    assert h.check_output("docker images -q --filter dangling=true") == ""
    assert subjects(row, "image_no_healthcheck") == ["lab/app:1"]


def test_fixed_daemon_through_the_role(fixed):
    h = lab_host("fleet-dirty")
    info = json.loads(h.check_output("docker info --format '{{json .}}'"))
    config = json.loads(h.file("/etc/docker/daemon.json").content_string)
    assert info["LiveRestoreEnabled"] is True
    assert info["RegistryConfig"]["Mirrors"] == ["http://127.0.0.1:5000/"]
    assert (config["icc"], config["no-new-privileges"], config["userland-proxy"]) == (False, True, False)
    assert config["log-driver"] == info["LoggingDriver"] == "json-file" and config["log-opts"]["max-size"] == "10m"
    row = fixed["row"]
    daemon = {f["check"] for f in row["findings"] if f["subject"] == "dockerd"}
    assert not daemon & {"daemon_icc_on", "daemon_no_new_privileges_off", "daemon_live_restore_off",
                         "daemon_userland_proxy_on"}
    assert row["log_rotation"] is True and [a["code"] for a in row["actions"]] == []
    assert subjects(row, "daemon_registry_mirror_down") == []
    assert [f["detail"] for f in row["findings"] if f["check"] == "daemon_registry_mirrors"] == \
        ["registry mirrors: http://127.0.0.1:5000/ (answers)"]
    assert h.check_output("curl -s -o /dev/null -w '%%{http_code}' %s/v2/" % MIRRORS[0]) == "200"


def test_fixed_host_keeps_what_the_fixes_did_not_address(fixed):
    row = fixed["row"]
    # User namespaces (2.9: remapping moves every image and volume's owner) and the engine's age are not what
    # these fixes do; the container's limits neither. priv-sock went with the prune.
    assert sorted({(f["check"], f["cis"], f["severity"]) for f in row["findings"] if f["severity"] != "info"}) == [
        ("container_no_cpu_limit", "5.12", "low"), ("container_no_memory_limit", "5.11", "medium"),
        ("daemon_userns_off", "2.9", "medium"), ("engine_eol", "1.2.2", "medium"),
        ("image_no_healthcheck", "4.6", "low")]
    assert lab_host("fleet-dirty").run("docker container inspect priv-sock").rc != 0
