"""_daemon_json: daemon.json as dockerd reads it, on real files."""
import pytest

from ansible_collections.dockerops.host.plugins.module_utils import _daemon_json


def test_settings_and_an_empty_file(tmp_path):
    path = tmp_path / "daemon.json"
    path.write_text('{"storage-driver": "overlay2", "log-opts": {"max-file": "3"}}')
    assert _daemon_json.load(str(path)) == {"storage-driver": "overlay2", "log-opts": {"max-file": "3"}}
    path.write_text(" \n")
    assert _daemon_json.load(str(path)) == {}  # dockerd starts with no settings


@pytest.mark.parametrize("text, said", [
    ("{broken", "is not valid JSON"),
    ("[1, 2]", "must hold a JSON object"),
    (b"\xff\xfe{}", "is not valid JSON"),
])
def test_what_dockerd_would_refuse_is_named(tmp_path, text, said):
    path = tmp_path / "daemon.json"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(_daemon_json.DaemonJsonError) as e:
        _daemon_json.load(str(path), "the fragment")
    assert str(e.value).startswith("the fragment %s %s" % (path, said))


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(_daemon_json.DaemonJsonError, match="Could not read daemon.json %s/nope.json" % tmp_path):
        _daemon_json.load(str(tmp_path / "nope.json"))
