from ansible_collections.dockerops.host.plugins.filter.docker_users import docker_subids_missing

SUBUID = "alice:100000:65536\nbob:165536:1000\n# comment\ncarol:231072:65536\ncarol:300000:70000\n"
SUBGID = "alice:100000:65536\nbob:165536:65536\ncarol:231072:65536\n"


def test_users_with_full_ranges_in_both_files_pass():
    assert docker_subids_missing(["alice", "carol"], SUBUID, SUBGID) == []


def test_short_or_missing_ranges_are_named():
    assert docker_subids_missing(["alice", "bob", "dave"], SUBUID, SUBGID) == ["bob", "dave"]


def test_missing_in_subgid_only():
    assert docker_subids_missing(["carol"], SUBUID, "alice:1:65536\n") == ["carol"]


def test_the_largest_of_several_ranges_counts_whatever_their_order():
    # carol's second range is the larger in SUBUID; here the larger comes first and a smaller one after it.
    assert docker_subids_missing(["erin"], "erin:100000:65536\nerin:200000:1000\n", "erin:100000:65536\n") == []
    # Another user's larger range does not count for erin.
    assert docker_subids_missing(["erin"], "erin:100000:1000\nfrank:200000:65536\n", "erin:1:65536\n") == ["erin"]


def test_a_user_absent_from_one_file_has_no_ids_there():
    # count=1: only a user with no range at all in a file lacks one.
    assert docker_subids_missing(["gina"], "gina:1:5\n", "", count=1) == ["gina"]
    assert docker_subids_missing(["gina"], "", "gina:1:5\n", count=1) == ["gina"]
    assert docker_subids_missing(["gina"], "gina:1:5\n", "gina:1:5\n", count=1) == []


def test_an_empty_range_is_no_range():
    assert docker_subids_missing(["hal"], "hal:1:0\n", "hal:1:0\n", count=1) == ["hal"]


def test_the_filter_is_registered_under_its_name():
    from ansible_collections.dockerops.host.plugins.filter.docker_users import FilterModule
    assert FilterModule().filters() == {"_docker_subids_missing": docker_subids_missing}
