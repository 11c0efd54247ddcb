"""A host moved from devicemapper loop-lvm to direct-lvm keeps its image and its old data."""

import json
import os

import testinfra.utils.ansible_runner

testinfra_hosts = testinfra.utils.ansible_runner.AnsibleRunner(
    os.environ["MOLECULE_INVENTORY_FILE"]).get_hosts("all")


def info(host):
    return json.loads(host.check_output("docker info --format '{{json .}}'"))


def test_engine_on_the_direct_lvm_pool(host):
    i = info(host)
    status = dict(i["DriverStatus"])
    assert i["Driver"] == "devicemapper"
    assert status["Pool Name"] == "docker-thinpool"
    assert "Data loop file" not in status and "Metadata loop file" not in status
    assert status["Deferred Removal Enabled"] == "true"


def test_image_kept_and_runs(host):
    assert host.run("docker image inspect lab/echo:1").rc == 0
    assert host.check_output("docker run --rm lab/echo:1 /usr/bin/echo still-here") == "still-here"
    # Saved by the attempt whose engine was killed mid-save, then by the run that completed.
    assert host.run("docker image inspect lab/big:1").rc == 0


def test_old_data_root_kept_in_a_backup(host):
    backups = host.check_output("ls -d /var/lib/docker.bak-*").split()
    assert len(backups) == 1
    # The loop-lvm data file is still there, for whoever needs it.
    assert host.file(backups[0] + "/devicemapper/devicemapper/data").exists


def test_daemon_json_merges_storage_with_the_other_options(host):
    config = json.loads(host.file("/etc/docker/daemon.json").content_string)
    assert config["storage-driver"] == "devicemapper"
    assert config["storage-opts"] == ["dm.thinpooldev=/dev/mapper/docker-thinpool", "dm.use_deferred_removal=true",
                                      "dm.use_deferred_deletion=true"]
    assert config["log-opts"] == {"max-size": "10m", "max-file": "3"}, "docker_daemon's own options stay"


def test_migration_recorded_as_done(host):
    assert not host.file("/var/lib/dockerops-storage/migration.json").exists
    assert host.run("ls /var/lib/dockerops-storage/migration-done-*.json").rc == 0


def test_no_image_archive_left_after_a_verified_load(host):
    # The interrupted attempts and the completing run wrote one archive; it goes once every image is back.
    assert host.run("ls /var/lib/dockerops-storage/images-*.tar").rc != 0
    assert host.run("ls -A /var/lib/dockerops-storage | grep -e '^.docker_temp_'").rc != 0


def test_volume_and_network_carried_over_container_inspect_saved(host):
    path = host.check_output("docker volume inspect --format '{{.Mountpoint}}' lab-data")
    assert host.file(path + "/keep.txt").content_string == "keep me\n"
    net = json.loads(host.check_output("docker network inspect lab-net"))[0]
    assert net["IPAM"]["Config"][0]["Subnet"] == "10.124.0.0/24"
    assert host.run("docker inspect lab-job").rc != 0, "containers do not come back"
    saved = host.check_output("ls /var/lib/dockerops-storage/containers-*.json").split()
    assert len(saved) == 1 and host.file(saved[0]).mode == 0o600
    assert [c["Name"] for c in json.loads(host.file(saved[0]).content_string)] == ["/lab-job"]
