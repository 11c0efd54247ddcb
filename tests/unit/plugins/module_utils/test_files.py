"""module_utils/_files.py: the owner, group and mode check the modules share (docker_repo_key, docker_apt_repository,
docker_daemon_config). The writes themselves are tested through those modules on real files."""
import pytest

from ansible_collections.dockerops.host.plugins.module_utils import _files


def test_a_file_as_written_does_not_differ():
    assert _files.attributes_differ(0, 0, 0o644, 0o644) is False
    assert _files.attributes_differ(0, 998, 0o660, 0o660, 998) is False


@pytest.mark.parametrize("uid, gid, mode", [
    (1000, 0, 0o644),  # another owner
    (0, 4, 0o644),     # another group
    (0, 0, 0o664),     # group-writable
    (0, 0, 0o600),     # narrower is still not the mode asked for
])
def test_any_difference_in_owner_group_or_mode_differs(uid, gid, mode):
    assert _files.attributes_differ(uid, gid, mode, 0o644) is True


def test_the_group_asked_for_is_the_one_compared():
    # The docker socket: root:docker 0660. Group root is then a difference.
    assert _files.attributes_differ(0, 0, 0o660, 0o660, 998) is True
    assert _files.attributes_differ(0, 998, 0o660, 0o660) is True
