"""What prune would remove, from a recorded /system/df of a lab host with two
dangling images and a stopped container."""

import json
import os

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.dockerops.host.plugins.filter.prune import FilterModule
from ansible_collections.dockerops.host.plugins.plugin_utils import prune

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "docker_info")
with open(os.path.join(FIXTURES, "system_df_20.10_dangling.json")) as f:
    SYSTEM_DF = json.load(f)
NOW = max(i["Created"] for i in SYSTEM_DF["Images"]) + 10
FILTERS = FilterModule().filters()


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
        FILTERS["docker_prune_candidates"](SYSTEM_DF, NOW, bad)


def test_reclaimed_sums_docker_prune_results():
    assert prune.reclaimed({"images_space_reclaimed": 5, "containers_space_reclaimed": 7}) == dict(
        images=5, containers=7, build_cache=0, total=12)
    assert prune.reclaimed(None)["total"] == 0
