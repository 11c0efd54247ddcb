"""What prune would remove, from a recorded /system/df of a lab host with two
dangling images and a stopped container."""

import json
import os

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.dockerops.host.plugins.filter.prune import FilterModule
from ansible_collections.dockerops.host.plugins.plugin_utils import _prune as prune

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "docker_info")
with open(os.path.join(FIXTURES, "system_df_20.10_dangling.json")) as f:
    SYSTEM_DF = json.load(f)
NOW = max(i["Created"] for i in SYSTEM_DF["Images"]) + 10


def filters():
    # Built inside each test, not at import: mutmut 3 maps a test to the functions it calls while it runs.
    return FilterModule().filters()


def test_dangling_images_only_by_default():
    c = prune.candidates(SYSTEM_DF, NOW)
    assert len(c["images"]) == 2 and all(i["tags"] == [] for i in c["images"])
    assert c["containers"] == [] and c["build_cache"] == []
    # What the engine reclaimed when the lab host was pruned: 11712224 bytes.
    assert c["estimated_bytes"] == 11712224


def test_stopped_containers_go_first_and_free_their_images():
    c = prune.candidates(SYSTEM_DF, NOW, containers=True)
    assert [x["name"] for x in c["containers"]] == ["stopped-writer"]
    assert c["estimated_bytes"] == 11712224 + 2097152
    # lab/app:1 is tagged: not dangling, kept.
    assert all(i["tags"] == [] for i in c["images"])


def test_unused_images_older_than():
    assert prune.candidates(SYSTEM_DF, NOW, images_older_than=1)["images"] == []
    later = NOW + 2 * 3600
    old = prune.candidates(SYSTEM_DF, later, images_older_than=1)
    # The tagged image is used by the stopped container, which stays.
    assert len(old["images"]) == 2
    assert len(prune.candidates(SYSTEM_DF, later, images_older_than="1", containers=True)["images"]) == 3


@pytest.mark.parametrize("bad", ["soon", 0, "-3", "1.5"])
def test_bad_hours_named(bad):
    with pytest.raises(AnsibleFilterError, match="dockerops_prune_images_older_than must be"):
        filters()["_docker_prune_candidates"](SYSTEM_DF, NOW, bad)


def test_reclaimed_sums_docker_prune_results():
    assert prune.reclaimed({"images_space_reclaimed": 5, "containers_space_reclaimed": 7}) == dict(
        images=5, containers=7, build_cache=0, total=12)
    assert prune.reclaimed(None)["total"] == 0


# -- #19: shared layers, build cache in use, the N-hours boundary ------------------------------------------------
# A throwaway Debian 12 engine (20.10.24+dfsg1, BuildKit) recorded while a build was in flight: rec/base:1
# (docker import, 3233696 bytes) under rec/a:1, rec/b:1 and a dangling first rec/b:1, every one sharing the base
# layer; rec/b:1 used by a running container, rec/a:1 by an exited one; then what the engine's own prunes removed
# (tests/unit/fixtures/docker_info/README.md).
def load(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return json.load(f)


BK = load("system_df_20.10_buildkit.json")
BK_IMAGES_PRUNE = load("images_prune_20.10_buildkit.json")
BK_BUILD_PRUNE = load("build_prune_20.10_buildkit.json")
BK_AFTER = load("system_df_20.10_buildkit_after_prune.json")
CREATED = 1795949823  # every image of the recording
BASE, A, B1, B2 = "85c81d93411b", "ac153441884b", "96822c89093e", "d0a64bc4a649"


def test_a_dangling_image_counts_only_what_it_does_not_share():
    c = prune.candidates(BK, CREATED + 60)
    (image,) = c["images"]
    # 3495840 bytes, 3233696 of them the base layer that rec/base:1, rec/a:1 and rec/b:1 keep.
    assert (image["id"], image["size"], image["unique_size"]) == (B1, 3495840, 262144)
    assert c["estimated_bytes"] == 262144 and c["build_cache"] == [] and c["containers"] == []


def test_build_cache_in_use_or_shared_with_an_image_is_kept():
    c = prune.candidates(BK, CREATED + 60, builder_cache=True)
    ids = {b["id"] for b in c["build_cache"]}
    records = {b["ID"][:12]: b for b in BK["BuildCache"]}
    in_use = {i for i, b in records.items() if b["InUse"]}
    shared = {i for i, b in records.items() if b["Shared"]}
    # The recording holds both kinds: the in-flight build's records, and the image layers the cache made.
    assert len(in_use) == 6 and len(shared) == 4
    assert not ids & (in_use | shared)
    assert ids == set(records) - in_use - shared
    assert sum(b["size"] for b in c["build_cache"]) == 917570
    # The engine's own prune (after the dangling image went) removed exactly these, and the cache record of the
    # dangling image's layer, unshared once that image was gone; every record in use stayed.
    deleted = {i[:12] for i in BK_BUILD_PRUNE["CachesDeleted"]}
    assert deleted - ids == {"glfsbhkmlnqf"} and records["glfsbhkmlnqf"]["Size"] == 262144
    assert {b["ID"][:12] for b in BK_AFTER["BuildCache"]} == set(records) - deleted
    assert in_use <= {b["ID"][:12] for b in BK_AFTER["BuildCache"]}


def test_the_estimate_is_what_the_engine_reclaimed():
    # docker_prune with images (dangling) and builder_cache, as prune.yml runs it: the recorded API answers.
    c = prune.candidates(BK, CREATED + 60, builder_cache=True)
    done = prune.reclaimed({"images_space_reclaimed": BK_IMAGES_PRUNE["SpaceReclaimed"],
                            "builder_cache_space_reclaimed": BK_BUILD_PRUNE["SpaceReclaimed"]})
    assert done["total"] == c["estimated_bytes"] == 262144 + 917570
    # The dangling image was the one the engine deleted.
    assert [d["Deleted"][7:19] for d in BK_IMAGES_PRUNE["ImagesDeleted"]] == [B1]


def test_images_exactly_n_hours_old_go_and_a_second_younger_stay():
    # docker image prune --filter until=1h keeps an image created after the cut-off; one created at it goes.
    at = prune.candidates(BK, CREATED + 3600, images_older_than=1)
    assert sorted(i["id"] for i in at["images"]) == sorted([BASE, B1])  # rec/a:1 and rec/b:1 are used
    assert prune.candidates(BK, CREATED + 3599, images_older_than=1)["images"] == []
    assert len(prune.candidates(BK, CREATED + 3 * 3600, images_older_than="3")["images"]) == 2
    assert prune.candidates(BK, CREATED + 3 * 3600 - 1, images_older_than="3")["images"] == []


def test_older_than_with_containers_frees_the_exited_container_s_image_not_the_running_one_s():
    c = prune.candidates(BK, CREATED + 3600, images_older_than=1, containers=True)
    assert [x["name"] for x in c["containers"]] == ["rec-exited"]
    assert c["containers"][0]["size"] == 0  # SizeRw null in this answer
    assert sorted(i["id"] for i in c["images"]) == sorted([BASE, A, B1])
    # rec/b:1 stays (rec-running), so the base layer stays: rec/base:1 frees nothing of its own.
    sizes = {i["id"]: i["unique_size"] for i in c["images"]}
    assert sizes == {BASE: 0, A: 524288, B1: 262144} and B2 not in sizes
    assert c["estimated_bytes"] == 524288 + 262144


def test_the_prune_playbook_s_filters():
    assert set(filters()) == {"_docker_prune_candidates", "_docker_prune_reclaimed"}
    # playbooks/prune.yml: the candidates before, what docker_prune reclaimed after (the recorded API answers).
    c = filters()["_docker_prune_candidates"](BK, CREATED + 60, None, False, True)
    assert c == prune.candidates(BK, CREATED + 60, builder_cache=True)
    done = filters()["_docker_prune_reclaimed"]({"images_space_reclaimed": BK_IMAGES_PRUNE["SpaceReclaimed"],
                                                "builder_cache_space_reclaimed": BK_BUILD_PRUNE["SpaceReclaimed"]})
    assert done == dict(images=BK_IMAGES_PRUNE["SpaceReclaimed"], containers=0,
                        build_cache=BK_BUILD_PRUNE["SpaceReclaimed"], total=c["estimated_bytes"])
