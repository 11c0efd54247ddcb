from ansible_collections.dockerops.host.plugins.filter.docker_users import docker_subids_missing

SUBUID = "alice:100000:65536\nbob:165536:1000\n# comment\ncarol:231072:65536\ncarol:300000:70000\n"
SUBGID = "alice:100000:65536\nbob:165536:65536\ncarol:231072:65536\n"


def test_users_with_full_ranges_in_both_files_pass():
    assert docker_subids_missing(["alice", "carol"], SUBUID, SUBGID) == []


def test_short_or_missing_ranges_are_named():
    assert docker_subids_missing(["alice", "bob", "dave"], SUBUID, SUBGID) == ["bob", "dave"]


def test_missing_in_subgid_only():
    assert docker_subids_missing(["carol"], SUBUID, "alice:1:65536\n") == ["carol"]
