"""Verify docker_daemon and docker_group on the lab hosts (testinfra, run by molecule)."""

import json
import os
import re

import testinfra.utils.ansible_runner

testinfra_hosts = testinfra.utils.ansible_runner.AnsibleRunner(
    os.environ["MOLECULE_INVENTORY_FILE"]).get_hosts("all")


def info(host):
    return json.loads(host.check_output("docker info --format '{{json .}}'"))


def test_daemon_json_owner_mode_and_content(host):
    f = host.file("/etc/docker/daemon.json")
    assert (f.user, f.group, f.mode) == ("root", "root", 0o644)
    d = host.file("/etc/docker")
    assert (d.user, d.group, d.mode) == ("root", "root", 0o755)
    config = json.loads(f.content_string)
    assert config["log-driver"] == "json-file"
    assert config["log-opts"] == {"max-size": "10m", "max-file": "3"}
    assert config["registry-mirrors"] == ["https://mirror.lab.invalid"]
    # docker_storage's choice (auto: overlay2), handed over as a fragment.
    assert config["storage-driver"] == "overlay2"
    # The fragment another role left is kept, not dropped.
    assert config["labels"] == ["dockerops.lab=fragment"]
    # userland-proxy stays true in the lab (see molecule.yml); the rest of the CIS set is on.
    assert config["userland-proxy"] is True
    for key, value in {"live-restore": True, "no-new-privileges": True, "icc": False}.items():
        assert config[key] == value, key
    # No refused option from the side effects stuck.
    assert "log-level" not in config and "log-levle" not in config


def test_engine_runs_with_the_configuration(host):
    i = info(host)
    assert [m.rstrip("/") for m in i["RegistryConfig"]["Mirrors"]] == ["https://mirror.lab.invalid"]
    assert i["HttpProxy"] == "http://proxy.lab.invalid:3128"
    assert i["NoProxy"] == "localhost,127.0.0.1"
    assert i["LoggingDriver"] == "json-file"
    assert i["LiveRestoreEnabled"] is True
    assert "dockerops.lab=fragment" in i["Labels"]
    assert host.service("docker").is_running


def lab_https_proxy(host):
    # molecule.yml: lab_https_proxy is "http://lab:{{ lab_proxy_password }}@proxy.lab.invalid:3128".
    return "http://lab:%s@proxy.lab.invalid:3128" % host.ansible.get_variables()["lab_proxy_password"]


def secret_parts(host):
    return re.findall(r"[A-Za-z0-9]{4,}", host.ansible.get_variables()["lab_proxy_password"])


def test_proxy_dropin_names_the_settings_and_holds_none(host):
    f = host.file("/etc/systemd/system/docker.service.d/http-proxy.conf")
    assert (f.user, f.group, f.mode) == ("root", "root", 0o644)
    lines = [line for line in f.content_string.splitlines() if not line.startswith("#")]
    assert lines == ["[Service]", "EnvironmentFile=/etc/docker/dockerops-proxy.env"]


def test_proxy_settings_root_only(host):
    f = host.file("/etc/docker/dockerops-proxy.env")
    assert (f.user, f.group, f.mode) == ("root", "root", 0o600)
    assert host.run("sudo -u alice cat /etc/docker/dockerops-proxy.env").rc != 0


def test_local_users_see_no_proxy_password(host):
    # What the previous release's drop-in showed every local user; the old password is gone too.
    out = host.check_output("sudo -u alice systemctl show docker --property Environment --property EnvironmentFiles")
    assert "EnvironmentFiles=/etc/docker/dockerops-proxy.env " in out
    for part in secret_parts(host) + ["0ldS3cret", "proxy.lab.invalid"]:
        assert part not in out


def test_engine_has_exactly_the_proxy_values_given(host):
    pid = host.check_output("pidof dockerd").strip()
    environ = host.check_output("tr '\\0' '\\n' < /proc/%s/environ" % pid).splitlines()
    proxy = sorted(v for v in environ if re.match(r"(?i)(https?|no)_proxy=", v))
    assert proxy == ["HTTPS_PROXY=" + lab_https_proxy(host), "HTTP_PROXY=http://proxy.lab.invalid:3128",
                     "NO_PROXY=localhost,127.0.0.1"]


def test_docker_socket_root_docker_0660(host):
    s = host.file("/run/docker.sock")
    assert s.is_socket
    assert (s.user, s.group, s.mode) == ("root", "docker", 0o660)


def test_group_members(host):
    assert "docker" in host.user("alice").groups
    assert "audio" in host.user("alice").groups, "alice's other groups must be kept"
    assert host.user("bob").exists and "docker" in host.user("bob").groups
    assert "docker" not in host.user("mallory").groups, "exclusive mode removes unlisted members"
    assert host.user("mallory").exists


def test_members_can_use_the_engine(host):
    assert host.run("sudo -u alice docker ps").rc == 0
    assert host.run("sudo -u mallory docker ps").rc != 0
