"""Verify the engine28 scenario: Docker CE 28.5 through the site playbook, the
containerd image store left alone, no engine restart on the rerun, the upgrade
from the codename's older engine with a container kept running (testinfra)."""

import json
import os

import testinfra.utils.ansible_runner

testinfra_hosts = testinfra.utils.ansible_runner.AnsibleRunner(
    os.environ["MOLECULE_INVENTORY_FILE"]).get_hosts("all")

AUDIT = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "audit", "audit.json")


def name(host):
    return host.backend.get_hostname()


def recorded(host, path):
    return dict(line.split("=", 1) for line in host.file(path).content_string.splitlines())


def os_release(host):
    return dict(line.split("=", 1) for line in host.file("/etc/os-release").content_string.splitlines() if "=" in line)


def fixture_28(host):
    release = os_release(host)
    path = "/srv/docker-mirror/linux/%s/dists/%s/versions.json" % (release["ID"], release["VERSION_CODENAME"])
    return json.loads(host.file(path).content_string)["docker_ce_28"]


def test_engine_28_5_2_from_the_fixture(host):
    assert host.check_output("docker version --format '{{.Server.Version}}'").startswith("28.5.2")
    assert host.package("docker-ce").version == fixture_28(host)
    assert host.package("docker-ce-cli").version == fixture_28(host)
    assert host.package("containerd.io").version.startswith("2.1.")
    for unit in ("containerd", "docker"):
        assert host.service(unit).is_running and host.service(unit).is_enabled, unit


def test_pinned_packages_are_held(host):
    # Every host is pinned (28.5.2; e28-upgrade first 26.1, then raised): apt drops the hold of a held package
    # it upgrades, so on e28-upgrade this checks that the role put the hold back after the raised pin.
    held = set(host.check_output("apt-mark showhold").split())
    assert {"docker-ce", "docker-ce-cli", "docker-ce-rootless-extras", "containerd.io"} <= held, held


def test_cli_plugins_are_the_real_programs(host):
    assert "Docker Compose version" in host.check_output("docker compose version")
    assert host.check_output("docker buildx version").startswith("github.com/docker/buildx")
    assert host.file("/usr/libexec/docker/cli-plugins/docker-compose").is_file


def test_ubuntu_hosts_take_the_ubuntu_path(host):
    release = os_release(host)
    if release["ID"] != "ubuntu":
        return
    sources = host.file("/etc/apt/sources.list.d/docker.sources").content_string
    assert "URIs: file:///srv/docker-mirror/linux/ubuntu\n" in sources
    assert "Suites: %s\n" % release["VERSION_CODENAME"] in sources
    # Ubuntu's own Compose plugin package conflicts with Docker CE's: the role removed it.
    assert not host.package("docker-compose-v2").is_installed
    assert host.package("docker-compose-plugin").is_installed


def test_storage_driver_and_image_store(host):
    info = json.loads(host.check_output("docker info --format '{{json .}}'"))
    status = dict(info["DriverStatus"])
    if name(host) == "e28-containerd":
        assert info["Driver"] == "overlayfs"
        assert status["driver-type"] == "io.containerd.snapshotter.v1"
    else:
        assert info["Driver"] == "overlay2" and status["Backing Filesystem"] == "extfs"
    daemon = json.loads(host.file("/etc/docker/daemon.json").content_string)
    # storage-driver overlay2 under the containerd store names no snapshotter:
    # the engine then fails every image ("snapshotter not loaded: overlay2").
    assert daemon.get("storage-driver") == info["Driver"]


def test_nothing_was_migrated(host):
    # No migration record (open or closed), no moved data root, no image archive.
    assert host.check_output("ls /var/lib/dockerops-storage 2>/dev/null || true") == ""
    assert host.check_output("ls -d /var/lib/docker.bak-* 2>/dev/null || true") == ""


def test_rerun_neither_stopped_nor_restarted_the_engine(host):
    if name(host) == "e28-upgrade":
        return  # restarted by its upgrade on purpose: see the upgrade test
    before = recorded(host, "/root/engine-after-converge")
    assert host.check_output("systemctl show docker -p MainPID --value") == before["pid"]
    assert host.check_output("systemctl show docker -p ActiveEnterTimestamp --value") == before["since"]
    assert host.check_output("docker inspect -f '{{.State.Running}} {{.State.StartedAt}}' sentinel") == \
        "true " + before["sentinel"]


def test_upgrade_kept_the_container_running(host):
    if name(host) != "e28-upgrade":
        return
    before = recorded(host, "/root/engine-before-upgrade")
    assert before["version"].startswith("26.1")
    # The engine was replaced and restarted ...
    assert host.check_output("systemctl show docker -p MainPID --value") != before["pid"]
    daemon = json.loads(host.file("/etc/docker/daemon.json").content_string)
    assert daemon["live-restore"] is True
    # ... and with live-restore the container never stopped: same process, same start.
    state = host.check_output("docker inspect -f '{{.State.Running}} {{.State.StartedAt}} {{.State.Pid}}' sentinel")
    assert state == "true %s %s" % (before["sentinel"], before["sentinel_pid"])


def test_audit_reads_the_containerd_store(host):
    with open(AUDIT) as f:
        rows = {r["host"]: r for r in json.load(f)["hosts"]}
    row = rows[name(host)]
    assert row["errors"] == []
    assert not {a["code"] for a in row["actions"]} & {"loop_lvm", "devicemapper"}
    if name(host) == "e28-containerd":
        assert row["storage_driver"] == "overlayfs" and row["image_store"] == "containerd"
    else:
        assert row["storage_driver"] == "overlay2" and row["image_store"] == "graphdriver"
    assert row["storage_healthy"] is True
