"""_storage_move on recorded docker CLI outputs (tests/unit/fixtures/docker_cli/README.md says how)."""
import json
import os

from ansible_collections.dockerops.host.plugins.module_utils import _storage_move as move
from ansible_collections.dockerops.host.plugins.module_utils import _storage as storage

CLI = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "docker_cli")


def rows(name):
    with open(os.path.join(CLI, name)) as f:
        return storage.json_lines(f.read())


def inspected(name):
    with open(os.path.join(CLI, name)) as f:
        return json.load(f)


def test_images_to_keep_has_tagged_and_digest_only_images_and_no_dangling_ones():
    images = move.images_to_keep(rows("images-digests-20.10.jsonl"))
    by_id = {i["id"]: i for i in images}
    assert len(images) == 5, "four tagged images and one digest-only; the four dangling rows are left out"
    assert by_id["a5667330663c"] == {
        "id": "a5667330663c", "tags": [],
        "digests": ["127.0.0.1:5055/lab/rec@sha256:ed8ceb65e5d9eecb6cacba1585d1c8f3149688431ab8415b5c6323e7d7c1e954"]}
    assert by_id["c899b7118e35"]["tags"] == ["dockerops-lab/debian:bookworm"]
    assert "0b2e7d90c33a" not in by_id


def test_images_to_keep_reads_the_20_10_clis_rows():
    images = move.images_to_keep(rows("images-digests-20.10-cli20.10.jsonl"))
    assert [i["id"] for i in images] == ["0a8d0b6af3d1", "c899b7118e35", "fde7ddeb4076", "ffd4ba68dfa1"]
    assert all(len(i["tags"]) == 1 and i["digests"] == [] for i in images)


def test_one_entry_per_image_with_all_its_tags():
    # Two rows of one image (rec/one:1 and rec/one:latest, as `docker images` prints a twice-tagged image).
    two = [dict(r, Tag=t) for r in rows("images-digests-20.10.jsonl")[1:2] for t in ("bookworm", "stable")]
    assert move.images_to_keep(two) == [{"id": "0a8d0b6af3d1", "tags": ["dockerops-lab/debian-sshd:bookworm",
                                                                       "dockerops-lab/debian-sshd:stable"],
                                         "digests": []}]


def test_save_refs_name_tags_and_the_id_of_a_digest_only_image():
    images = move.images_to_keep(rows("images-digests-20.10.jsonl"))
    refs = move.save_refs(images)
    assert "a5667330663c" in refs and "dockerops-lab/debian:bookworm" in refs
    assert not any("@" in r for r in refs), "docker save by digest would not come back with a name"


def test_a_digest_only_image_gets_a_kept_tag_a_tagged_one_keeps_its_tags():
    images = {i["id"]: i for i in move.images_to_keep(rows("images-digests-20.10.jsonl"))}
    assert move.kept_tag(images["a5667330663c"]) == "127.0.0.1:5055/lab/rec:dockerops-ed8ceb65e5d9"
    assert move.wanted_refs(images["a5667330663c"]) == ["127.0.0.1:5055/lab/rec:dockerops-ed8ceb65e5d9"]
    assert move.kept_tag(images["c899b7118e35"]) is None
    assert move.wanted_refs(images["c899b7118e35"]) == ["dockerops-lab/debian:bookworm"]


def test_user_networks_leave_out_the_engines_own():
    nets = move.user_networks(inspected("network-inspect-20.10.json"))
    assert [n["Name"] for n in nets] == ["rec-backend", "rec-plain"]


def test_network_create_args_give_the_network_back_as_inspected():
    nets = {n["Name"]: n for n in inspected("network-inspect-20.10.json")}
    assert move.network_create_args(nets["rec-backend"]) == [
        "--driver", "bridge", "--subnet", "10.199.0.0/24", "--ip-range", "10.199.0.128/25", "--gateway", "10.199.0.1",
        "--opt", "com.docker.network.bridge.enable_icc=false", "--label", "tier=backend", "--internal", "--attachable",
        "rec-backend"]
    # The subnet the engine chose is kept: containers recreated later find their addresses.
    assert move.network_create_args(nets["rec-plain"]) == [
        "--driver", "bridge", "--subnet", "172.18.0.0/16", "--gateway", "172.18.0.1", "rec-plain"]
    # The 20.10 CLI prints the same object.
    assert move.network_create_args(inspected("network-inspect-20.10-cli20.10.json")[0]) == \
        move.network_create_args(nets["rec-backend"])


def test_backup_beside_the_data_root_or_inside_a_mount_point():
    assert move.backup_path("/var/lib/docker/", "S", False) == "/var/lib/docker.bak-S"
    assert move.backup_path("/var/lib/docker", "S", True) == "/var/lib/docker/dockerops-backup-S"


def test_a_record_of_the_earlier_release_resumes():
    old = {"from": "devicemapper", "to": "overlay2", "images": ["lab/echo:1"], "archive": "/w/images-S.tar",
           "data_root": "/var/lib/docker", "backup": "/var/lib/docker.bak-S"}
    rec = move.normalise_record(old)
    assert rec["images"] == [{"id": "lab/echo:1", "tags": ["lab/echo:1"], "digests": []}]
    assert rec["saved"] is True and rec["moved"] is None and rec["loaded"] is False and rec["networks"] == []
    assert move.normalise_record(rec) is rec


def test_config_only_networks_come_first_and_config_from_keeps_only_its_source():
    nets = move.user_networks(list(reversed(inspected("network-inspect-config-20.10.json"))))
    assert [n["Name"] for n in nets] == ["rec-cfg", "rec-mv"]
    assert move.network_create_args(nets[0]) == ["--config-only", "--subnet", "10.198.0.0/24", "--gateway",
                                                 "10.198.0.1", "--opt", "parent=eth0", "rec-cfg"]
    # IPAM and options come from rec-cfg: docker refuses them beside --config-from.
    assert move.network_create_args(nets[1]) == ["--config-from", "rec-cfg", "--driver", "macvlan", "rec-mv"]


def test_mount_points_from_a_recorded_mountinfo():
    with open(os.path.join(CLI, "mountinfo-host-running-container.txt")) as f:
        text = f.read()
    # /var/lib/docker is a bind mount of the same ext4: a mount point os.path.ismount does not see.
    assert move.is_mount_point("/var/lib/docker", text) and move.is_mount_point("/var/lib/docker/", text)
    assert not move.is_mount_point("/var/lib", text)
    below = move.mounts_below("/var/lib/docker", text)
    assert len(below) == 1 and below[0].startswith("/var/lib/docker/overlay2/") and below[0].endswith("/merged")
    assert move.mounts_below("/var/lib/docker/overlay2/x", text) == []


def test_octal_escapes_in_mount_points():
    # mountinfo writes a space in a path as \040 (proc(5)).
    line = "42 27 254:0 /srv /srv/docker\\040data rw,relatime shared:1 - ext4 /dev/vda rw"
    assert move.is_mount_point("/srv/docker data", line)


def test_a_fresh_volumes_directory_holds_only_metadata():
    assert move.fresh_volumes_dir(["metadata.db"]) and move.fresh_volumes_dir([])
    assert not move.fresh_volumes_dir(["metadata.db", "pgdata"])


def test_an_earlier_release_record_gets_its_stamp_from_the_backup():
    rec = move.normalise_record({"images": [u"lab/echo:1"], "backup": "/var/lib/docker.bak-20261101T000000Z",
                                 "data_root": "/var/lib/docker", "archive": ""})
    assert rec["stamp"] == "20261101T000000Z" and rec["images"][0]["id"] == "lab/echo:1"
