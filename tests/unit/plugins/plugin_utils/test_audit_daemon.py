"""plugin_utils._audit_daemon: the CIS 2 daemon checks on recorded `docker info` outputs (fixtures/docker_info/README.md)
and daemon.json, the CIS 3 file checks on ansible.builtin.stat results, and CIS 1.1.1 on Ansible's mounts facts.
Where a recorded answer is changed (one field: a warning, a registry), the test says so."""
import copy
import json
import os

import pytest

from ansible_collections.dockerops.host.plugins.plugin_utils import _audit_daemon as ad

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "docker_info")
GOOD_JSON = {"icc": False, "no-new-privileges": True, "userland-proxy": False, "live-restore": True}


def load(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return json.load(f)


def checks(rows):
    return sorted(r["check"] for r in rows)


def by_check(rows):
    return dict((r["check"], r) for r in rows)


def test_debian_13_engine_without_daemon_json():
    # Engine 28.5.2 (Debian's docker.io build), no daemon.json: every CIS 2 default the checks read fails.
    rows = by_check(ad.daemon_findings(load("overlay2-28.5.json"), {}))
    assert sorted((c, r["cis"], r["severity"]) for c, r in rows.items()) == [
        ("daemon_icc_on", "2.2", "medium"), ("daemon_live_restore_off", "2.15", "low"),
        ("daemon_no_new_privileges_off", "2.14", "medium"), ("daemon_userland_proxy_on", "2.16", "low"),
        ("daemon_userns_off", "2.9", "medium"), ("engine_eol", "1.2.2", "medium")]
    assert "icc is not set, so true" in rows["daemon_icc_on"]["detail"]
    assert rows["engine_eol"]["detail"].startswith("Engine 28.5.2+dfsg4: upstream no longer maintains 28.x")
    assert all(r["subject"] == "dockerd" for r in rows.values())


def test_engine_20_10_with_mirror_and_live_restore():
    # Recorded with --registry-mirror https://mirror.lab.invalid --live-restore on the command line.
    info = load("engine-20.10-full.json")
    rows = by_check(ad.daemon_findings(info, GOOD_JSON))
    assert checks(rows.values()) == ["daemon_registry_mirrors", "daemon_userns_off", "engine_eol"]
    assert rows["daemon_registry_mirrors"]["severity"] == "info"
    assert rows["daemon_registry_mirrors"]["detail"] == (
        "registry mirrors: https://mirror.lab.invalid/ (whether each answers is not checked)")
    assert "maintains 20.10 (maintained: 29.x" in rows["engine_eol"]["detail"]
    # A mirror in daemon.json that docker info also lists (with its trailing slash) is named once.
    again = by_check(ad.daemon_findings(info, dict(GOOD_JSON, **{"registry-mirrors": ["https://mirror.lab.invalid"]})))
    assert again["daemon_registry_mirrors"]["detail"].count("mirror.lab.invalid") == 1


# docker_audit_info's probes, in the form its tests check on recorded registry answers
# (tests/unit/plugins/modules/test_docker_audit_info.py).
UP = dict(url="https://mirror.lab.invalid/", answers=True, status=401, api_version="registry/2.0", error=None)
DOWN = dict(url="http://127.0.0.1:5001/", answers=False, status=None, api_version=None,
            error="connection failed: [Errno 111] Connection refused")


def test_probed_mirrors_answering_and_not():
    info = copy.deepcopy(load("engine-20.10-full.json"))
    info["RegistryConfig"]["Mirrors"].append("http://127.0.0.1:5001/")  # changed: a second mirror
    rows = ad.daemon_findings(info, GOOD_JSON, [UP, DOWN])
    assert checks(rows) == ["daemon_registry_mirror_down", "daemon_registry_mirrors", "daemon_userns_off",
                            "engine_eol"]
    found = by_check(rows)
    assert found["daemon_registry_mirrors"] == dict(
        check="daemon_registry_mirrors", cis=None, severity="info", subject="dockerd",
        detail="registry mirrors: https://mirror.lab.invalid/ (answers), http://127.0.0.1:5001/ (does not answer)",
        action="see daemon_registry_mirror_down")
    down = found["daemon_registry_mirror_down"]
    assert (down["cis"], down["severity"], down["subject"]) == (None, "medium", "http://127.0.0.1:5001/")
    assert down["detail"] == "does not answer as a registry: connection failed: [Errno 111] Connection refused"
    assert down["action"].startswith("fix the mirror, or take it out of registry-mirrors (dockerops.host."
                                     "docker_daemon's docker_daemon_registry_mirrors)")
    # Every mirror answers: the info row alone, no action.
    ok = by_check(ad.daemon_findings(load("engine-20.10-full.json"), GOOD_JSON, [UP]))
    assert "daemon_registry_mirror_down" not in ok
    assert ok["daemon_registry_mirrors"]["detail"] == "registry mirrors: https://mirror.lab.invalid/ (answers)"
    assert ok["daemon_registry_mirrors"]["action"] == "none"


def test_probed_mirror_matched_with_or_without_its_trailing_slash_and_one_not_in_use():
    info = load("engine-20.10-full.json")
    probe = dict(UP, url="https://mirror.lab.invalid", answers=False, status=502, error="HTTP 502")
    rows = by_check(ad.daemon_findings(info, dict(GOOD_JSON, **{"registry-mirrors": [
        "https://mirror.lab.invalid", "https://second.lab.invalid"]}), [probe]))
    assert rows["daemon_registry_mirror_down"]["subject"] == "https://mirror.lab.invalid/"
    assert rows["daemon_registry_mirror_down"]["detail"] == "does not answer as a registry: HTTP 502"
    # daemon.json names a mirror the engine does not use yet (not restarted): not probed, and said so.
    assert rows["daemon_registry_mirrors"]["detail"] == (
        "registry mirrors: https://mirror.lab.invalid/ (does not answer), https://second.lab.invalid (not probed: "
        "the engine does not use it yet)")
    # A probe without a cause still says what it is.
    bare = dict(DOWN, error=None, url="https://mirror.lab.invalid/")
    assert by_check(ad.daemon_findings(info, GOOD_JSON, [bare]))["daemon_registry_mirror_down"]["detail"] == \
        "does not answer as a registry: no cause given"
    # No mirrors: nothing, probed or not.
    assert ad.daemon_findings(load("overlay2-28.5.json"), GOOD_JSON, []) == \
        ad.daemon_findings(load("overlay2-28.5.json"), GOOD_JSON)


@pytest.mark.parametrize("probes", ["up", {"url": "x"}, ["x"], [UP, None]])
def test_mirror_probes_not_a_list_of_dicts_are_refused(probes):
    with pytest.raises(ad.AuditDaemonError, match="^the mirror probes must be a list of dicts, got "):
        ad.daemon_findings(load("engine-20.10-full.json"), GOOD_JSON, probes)


def test_cis_compliant_daemon_json_and_userns():
    info = copy.deepcopy(load("overlay2-28.5.json"))
    info["SecurityOptions"].append("name=userns")  # changed: as an engine with userns-remap lists it
    info["LiveRestoreEnabled"] = True
    info["ServerVersion"] = "29.1.0"  # changed: a maintained upstream build
    assert ad.daemon_findings(info, GOOD_JSON) == []
    # userns-remap in daemon.json alone (the engine not restarted yet) is taken at its word.
    info["SecurityOptions"].pop()
    assert ad.daemon_findings(info, dict(GOOD_JSON, **{"userns-remap": "default"})) == []
    assert checks(ad.daemon_findings(info, GOOD_JSON)) == ["daemon_userns_off"]
    # Settings given as strings count the same.
    assert checks(ad.daemon_findings(info, {"icc": "false", "no-new-privileges": "true", "userland-proxy": "False",
                                            "userns-remap": "default"})) == []


def test_live_restore_not_asked_of_a_swarm_manager():
    info = copy.deepcopy(load("overlay2-28.5.json"))
    info["Swarm"]["LocalNodeState"] = "active"  # changed: live-restore cannot be on in a swarm
    assert "daemon_live_restore_off" not in checks(ad.daemon_findings(info, {}))


@pytest.mark.parametrize("version,supported,distro,severity", [
    ("29.1.0", True, False, None), ("28.5.2", False, False, "high"), ("28.5.2+dfsg4", False, True, "medium"),
    ("20.10.24+dfsg1", False, True, "medium"), ("26.1.5+dfsg1", False, True, "medium"), ("", None, False, None),
    ("24.0.7-0ubuntu4", False, True, "medium"), ("30.0.0", False, False, "high"),
])
def test_engine_support_table(version, supported, distro, severity):
    assert ad.engine_support(version) == (supported, distro)
    rows = [r for r in ad.daemon_findings({"ServerVersion": version}, GOOD_JSON) if r["check"] == "engine_eol"]
    assert [r["severity"] for r in rows] == ([severity] if severity else [])


def test_tcp_without_tls_from_daemon_json_and_from_the_engines_warning():
    info = load("overlay2-28.5.json")
    rows = ad.daemon_findings(info, dict(GOOD_JSON, hosts=["unix:///var/run/docker.sock", "tcp://0.0.0.0:2375"]))
    tcp = by_check(rows)["daemon_tcp_without_tls"]
    assert (tcp["cis"], tcp["severity"]) == ("2.7", "critical") and "tcp://0.0.0.0:2375" in tcp["detail"]
    # tls without tlsverify: encrypted, but anyone may connect.
    rows = by_check(ad.daemon_findings(info, dict(GOOD_JSON, hosts="tcp://0.0.0.0:2376", tls=True)))
    assert rows["daemon_tcp_tls_no_verify"]["severity"] == "medium" and "daemon_tcp_without_tls" not in rows
    assert "daemon_tcp" not in " ".join(checks(ad.daemon_findings(
        info, dict(GOOD_JSON, hosts=["tcp://0.0.0.0:2376"], tls=True, tlsverify=True))))
    # -H tcp:// on dockerd's command line: only the engine's warning in docker info tells (changed: the warning
    # dockerd prints then, added to the recorded Warnings).
    warned = copy.deepcopy(info)
    warned["Warnings"] = ["WARNING: API is accessible on http://0.0.0.0:2375 without encryption.\n"
                          "         Access to the remote API is equivalent to root access on the host."]
    tcp = by_check(ad.daemon_findings(warned, GOOD_JSON))["daemon_tcp_without_tls"]
    assert "http://0.0.0.0:2375" in tcp["detail"]
    # tls set but the engine warns all the same: the warning wins.
    assert "daemon_tcp_without_tls" in checks(ad.daemon_findings(warned, dict(GOOD_JSON, tls=True)))


def test_insecure_registries_beyond_the_engines_own_range():
    info = copy.deepcopy(load("overlay2-28.5.json"))
    assert info["RegistryConfig"]["InsecureRegistryCIDRs"] == ["::1/128", "127.0.0.0/8"]
    assert "daemon_insecure_registries" not in checks(ad.daemon_findings(info, {}))
    # changed: what the engine lists with insecure-registries ["10.0.0.0/8", "reg.lab:5000"]
    info["RegistryConfig"]["InsecureRegistryCIDRs"].append("10.0.0.0/8")
    info["RegistryConfig"]["IndexConfigs"]["reg.lab:5000"] = {"Name": "reg.lab:5000", "Mirrors": [], "Secure": False,
                                                              "Official": False}
    row = by_check(ad.daemon_findings(info, {}))["daemon_insecure_registries"]
    assert (row["cis"], row["severity"]) == ("2.5", "high")
    assert row["detail"].endswith(": 10.0.0.0/8, reg.lab:5000")
    # Named in daemon.json only (the engine not restarted yet).
    row = by_check(ad.daemon_findings(load("overlay2-28.5.json"), {"insecure-registries": ["r:5000"]}))
    assert row["daemon_insecure_registries"]["detail"].endswith(": r:5000")


def test_daemon_findings_refuse_what_is_not_docker_info():
    with pytest.raises(ad.AuditDaemonError, match="docker info must be a dict"):
        ad.daemon_findings([], {})


def stat(mode, owner="root", group="root", exists=True):
    # ansible.builtin.stat's answer, the fields the checks read.
    return dict(exists=exists, mode=mode, pw_name=owner, gr_name=group, uid=0, gid=0)


def good_files(tls=False):
    files = {p: dict(exists=False) for p in ad.file_paths({})}
    files.update({"/lib/systemd/system/docker.service": stat("0644"), "/lib/systemd/system/docker.socket": stat("0644"),
                  "/etc/docker": stat("0755"), "/etc/docker/daemon.json": stat("0644"),
                  "/var/run/docker.sock": stat("0660", group="docker")})
    if tls:
        files.update({"/etc/docker/ca.pem": stat("0444"), "/etc/docker/cert.pem": stat("0444"),
                      "/etc/docker/key.pem": stat("0400")})
    return files


TLS_JSON = {"tlscacert": "/etc/docker/ca.pem", "tlscert": "/etc/docker/cert.pem", "tlskey": "/etc/docker/key.pem"}


def test_file_paths_name_units_config_socket_and_tls():
    paths = ad.file_paths(TLS_JSON)
    assert "/etc/systemd/system/docker.service" in paths and "/usr/lib/systemd/system/docker.socket" in paths
    assert paths[-4:] == ["/var/run/docker.sock", "/etc/docker/ca.pem", "/etc/docker/cert.pem", "/etc/docker/key.pem"]
    assert ad.file_paths({"tlskey": "relative.pem", "tlscert": 3}) == ad.file_paths(None)


def test_files_as_the_benchmark_wants_are_no_finding():
    assert ad.file_findings(good_files(), {}) == []
    assert ad.file_findings(good_files(tls=True), TLS_JSON) == []
    # More restrictive modes pass too.
    files = good_files(tls=True)
    files["/etc/docker/daemon.json"] = stat("0600")
    files["/etc/docker/ca.pem"] = stat("0400")
    assert ad.file_findings(files, TLS_JSON) == []


@pytest.mark.parametrize("path,st,check,cis,severity", [
    ("/lib/systemd/system/docker.service", stat("0664"), "file_docker_service", "3.2", "high"),
    ("/lib/systemd/system/docker.service", stat("0755"), "file_docker_service", "3.2", "low"),
    ("/lib/systemd/system/docker.service", stat("0644", owner="deploy"), "file_docker_service", "3.1", "high"),
    ("/lib/systemd/system/docker.socket", stat("0646"), "file_docker_socket_unit", "3.4", "high"),
    ("/lib/systemd/system/docker.socket", stat("0644", group="adm"), "file_docker_socket_unit", "3.3", "medium"),
    ("/etc/docker", stat("0775"), "file_etc_docker", "3.6", "high"),
    ("/etc/docker", stat("0755", owner="admin"), "file_etc_docker", "3.5", "high"),
    ("/etc/docker/daemon.json", stat("0666"), "file_daemon_json", "3.18", "high"),
    ("/etc/docker/daemon.json", stat("0644", group="docker"), "file_daemon_json", "3.17", "medium"),
    ("/var/run/docker.sock", stat("0666", group="docker"), "file_docker_sock", "3.16", "high"),
    ("/var/run/docker.sock", stat("0660"), "file_docker_sock", "3.15", "medium"),
    ("/etc/docker/ca.pem", stat("0644"), "file_tls_ca", "3.10", "low"),
    ("/etc/docker/cert.pem", stat("0444", owner="nobody"), "file_tls_cert", "3.11", "high"),
    ("/etc/docker/key.pem", stat("0440"), "file_tls_key", "3.14", "high"),
    ("/etc/docker/key.pem", stat("0600"), "file_tls_key", "3.14", "low"),
    ("/etc/docker", stat("4755"), "file_etc_docker", "3.6", "high"),
])
def test_each_file_rule(path, st, check, cis, severity):
    files = good_files(tls=True)
    files[path] = st
    rows = ad.file_findings(files, TLS_JSON)
    assert [(r["check"], r["cis"], r["severity"], r["subject"]) for r in rows] == [(check, cis, severity, path)]


def test_the_unit_systemd_loads_is_the_one_judged():
    # An override in /etc/systemd/system hides the packaged unit: only it is judged.
    files = good_files()
    files["/lib/systemd/system/docker.service"] = stat("0666")
    files["/etc/systemd/system/docker.service"] = stat("0644")
    assert ad.file_findings(files, {}) == []
    files["/etc/systemd/system/docker.service"] = stat("0664")
    rows = ad.file_findings(files, {})
    assert [(r["subject"], r["detail"]) for r in rows] == [
        ("/etc/systemd/system/docker.service", "mode 0664, wider than 0644")]
    assert rows[0]["action"] == "chmod 0644 /etc/systemd/system/docker.service"


def test_missing_files_and_a_missing_tls_file():
    assert ad.file_findings({}, {}) == []
    files = good_files(tls=True)
    files["/etc/docker/key.pem"] = dict(exists=False)
    rows = ad.file_findings(files, TLS_JSON)
    assert [(r["check"], r["severity"], r["detail"]) for r in rows] == [
        ("file_tls_key", "medium", "named by tlskey in daemon.json but missing")]
    with pytest.raises(ad.AuditDaemonError, match="files must be a dict"):
        ad.file_findings([], {})


# Ansible's mounts facts (setup gather_subset mounts), the fields read, as a Debian 12 VM and a lab container have them.
VM_MOUNTS = [{"mount": "/", "device": "/dev/vda1", "fstype": "ext4"},
             {"mount": "/boot/efi", "device": "/dev/vda15", "fstype": "vfat"}]
CONTAINER_MOUNTS = [{"mount": "/", "device": "overlay", "fstype": "overlay"},
                    {"mount": "/var/lib/docker", "device": "/dev/sda1", "fstype": "ext4"},
                    {"mount": "/var/lib/docker/overlay2/abc/merged", "device": "overlay", "fstype": "overlay"}]


def test_data_root_on_its_own_file_system():
    info = {"DockerRootDir": "/var/lib/docker"}
    rows = ad.host_findings(info, VM_MOUNTS)
    assert [(r["check"], r["cis"], r["severity"], r["subject"]) for r in rows] == [
        ("data_root_shared", "1.1.1", "medium", "/var/lib/docker")]
    assert "mounted at /" in rows[0]["detail"]
    assert ad.host_findings(info, CONTAINER_MOUNTS) == []
    # /var of its own is not the data root's own (docker-bench: the data root must be a mount point).
    rows = ad.host_findings(info, VM_MOUNTS + [{"mount": "/var"}, {"mount": "/var/lib/dockerx"}])
    assert "mounted at /var:" in rows[0]["detail"]
    assert ad.host_findings({"DockerRootDir": "/srv/docker/"}, VM_MOUNTS + [{"mount": "/srv/docker"}]) == []
    # Nothing to judge without the data root or the mounts.
    assert ad.host_findings({}, VM_MOUNTS) == [] and ad.host_findings(info, []) == []
    assert ad.mount_point("/var/lib/docker", [{"mount": "relative"}]) is None
