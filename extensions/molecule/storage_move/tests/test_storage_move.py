"""Verify storage_move: a host with workloads moved from vfs to overlay2 with its losses allowed keeps the
volume's file, the user network and every image (tagged and digest-only); the container's inspect is saved
and the old data root is in a backup inside the mount point (testinfra)."""

import json
import os

import testinfra.utils.ansible_runner

testinfra_hosts = testinfra.utils.ansible_runner.AnsibleRunner(
    os.environ["MOLECULE_INVENTORY_FILE"]).get_hosts("all")

WORK = "/var/lib/dockerops-storage"


def test_engine_runs_overlay2(host):
    assert host.check_output("docker info --format '{{.Driver}}'") == "overlay2"


def test_storage_fragment_in_the_fragments_dir_the_inventory_names(host):
    fragment = host.file("/etc/docker/lab-fragments/40-storage.json")
    assert json.loads(fragment.content_string) == {"storage-driver": "overlay2"}
    assert not host.file("/etc/docker/dockerops.d/40-storage.json").exists
    assert json.loads(host.file("/etc/docker/daemon.json").content_string)["storage-driver"] == "overlay2"


def test_volume_and_its_file_carried_over(host):
    assert "lab-data" in host.check_output("docker volume ls --format '{{.Name}}'").split()
    path = host.check_output("docker volume inspect --format '{{.Mountpoint}}' lab-data")
    assert host.file(path + "/keep.txt").content_string == "keep me\n"


def test_user_network_recreated_as_it_was(host):
    net = json.loads(host.check_output("docker network inspect lab-net"))[0]
    assert net["IPAM"]["Config"][0]["Subnet"] == "10.123.0.0/24"
    assert net["Labels"] == {"tier": "backend"}


def test_every_image_back_by_id(host):
    assert host.run("docker image inspect lab/sleep:1").rc == 0
    pinned = host.file("/root/pinned.id").content_string.strip()
    digest = host.file("/root/pinned.digest").content_string.strip()
    tags = json.loads(host.check_output("docker image inspect --format '{{json .RepoTags}}' %s" % pinned))
    # docker load cannot restore a registry digest: the image gets a tag, so hygiene does not prune it.
    assert tags == ["127.0.0.1:5000/lab/pinned:dockerops-%s" % digest.split("@sha256:")[1][:12]]
    # The image runs.
    assert host.run("docker run --rm lab/sleep:1 /usr/bin/sleep 0").rc == 0


def test_container_inspect_saved_privately_and_not_back(host):
    saved = host.check_output("ls %s/containers-*.json" % WORK).split()
    assert len(saved) == 1
    f = host.file(saved[0])
    assert f.mode == 0o600 and f.user == "root"
    assert [c["Name"] for c in json.loads(f.content_string)] == ["/lab-web"]
    assert host.run("docker inspect lab-web").rc != 0


def test_old_data_root_kept_inside_the_mount_point(host):
    assert host.mount_point("/var/lib/docker").exists
    backups = host.check_output("ls -d /var/lib/docker/dockerops-backup-*").split()
    assert len(backups) == 1
    assert host.file(backups[0] + "/vfs").is_directory
    assert not host.file(backups[0] + "/volumes").exists, "carried into the new data root"


def test_record_closed_and_archive_removed(host):
    assert not host.file(WORK + "/migration.json").exists
    assert host.run("ls %s/migration-done-*.json" % WORK).rc == 0
    assert host.run("ls %s/images-*.tar" % WORK).rc != 0


def test_no_secret_in_the_record(host):
    done = host.check_output("cat %s/migration-done-*.json" % WORK)
    assert "s3cr3t" not in done


def test_the_move_that_died_was_finished_by_the_site_playbook(host):
    assert host.file("/root/move-died").exists
    done = json.loads(host.check_output("cat %s/migration-done-*.json" % WORK))
    assert done["moved"] and done["volumes_carried"] and done["loaded"] and done["to"] == "overlay2"
    # site.yml's docker_daemon options are there too: the install and daemon roles ran after the storage.
    config = json.loads(host.file("/etc/docker/daemon.json").content_string)
    assert config["storage-driver"] == "overlay2" and "log-opts" in config
