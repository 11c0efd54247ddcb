"""docker_repo_key on real files and a real HTTP server on loopback: what is written, and what is refused.

The key files are the gpg-made fixtures of tests/unit/fixtures/keys (see its README).
"""
import http.server
import os
import shutil
import stat
import threading

import pytest

from ansible_collections.dockerops.host.plugins.module_utils import _repo_key
from ansible_collections.dockerops.host.plugins.modules import docker_repo_key

from harness import patch_exits, run_main

KEYS = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "keys")
PINNED = "51E92E8432C53952FE66175DE5BF3431C0F4D045"
PINNED_SPACED = "51E9 2E84 32C5 3952 FE66  175D E5BF 3431 C0F4 D045"
VAR = "docker_install_ubuntu_key_fingerprint"


def key(name):
    with open(os.path.join(KEYS, name), "rb") as f:
        return f.read()


@pytest.fixture
def run(monkeypatch, tmp_path):
    patch_exits(monkeypatch)

    def _run(served, **args):
        src = tmp_path / "mirror" / "gpg"
        src.parent.mkdir(exist_ok=True)
        src.write_bytes(served)
        params = dict(url="file://%s" % src, fingerprint=PINNED_SPACED, dest=str(tmp_path / "keyrings" / "docker.gpg"),
                      pin_variable=VAR)
        params.update(args)
        return run_main(docker_repo_key.main, params)
    return _run


def test_writes_only_the_pinned_key_binary_root_0644_and_creates_the_directory(run, tmp_path):
    kind, res = run(key("pinned.asc"))
    dest = tmp_path / "keyrings" / "docker.gpg"
    assert kind == "Exit" and res["changed"] is True
    assert dest.read_bytes() == key("pinned.gpg")
    st = dest.stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (0, 0, 0o644)
    assert stat.S_IMODE(dest.parent.stat().st_mode) == 0o755
    assert res["fingerprint"] == PINNED and res["key_version"] == 4
    assert res["subkeys"] == ["09D80A93150D084E860BC2D69084B999C277A89D"]


def test_second_run_is_unchanged(run):
    run(key("pinned.asc"))
    kind, res = run(key("pinned.asc"))
    assert kind == "Exit" and res["changed"] is False


def test_a_wrong_mode_is_put_right(run, tmp_path):
    run(key("pinned.asc"))
    dest = tmp_path / "keyrings" / "docker.gpg"
    os.chmod(dest, 0o600)
    kind, res = run(key("pinned.asc"), _ansible_diff=True)
    assert res["changed"] is True and stat.S_IMODE(dest.stat().st_mode) == 0o644
    assert "mode 0600" in res["diff"]["before"] and "mode 0644" in res["diff"]["after"]


def test_armored_format_for_rpm(run, tmp_path):
    kind, res = run(key("pinned.asc"), format="armored", dest=str(tmp_path / "docker-ce.gpg"))
    text = (tmp_path / "docker-ce.gpg").read_text()
    assert text.startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----")
    assert text.count("BEGIN PGP") == 1


def test_check_mode_writes_nothing_and_reports_the_change(run, tmp_path):
    kind, res = run(key("pinned.asc"), _ansible_check_mode=True, _ansible_diff=True)
    assert kind == "Exit" and res["changed"] is True
    assert not (tmp_path / "keyrings").exists()
    # The diff names the key, never its material.
    assert res["diff"]["before"] == "(absent)\n"
    assert PINNED in res["diff"]["after"] and "pinned@dockerops.invalid" in res["diff"]["after"]
    assert "BEGIN PGP" not in res["diff"]["after"] and "mDM" not in res["diff"]["after"]


def test_diff_of_a_replaced_hostile_keyring_names_both(run, tmp_path):
    dest = tmp_path / "keyrings" / "docker.gpg"
    dest.parent.mkdir()
    dest.write_bytes(key("pinned-and-other.gpg"))  # what an earlier release could have written
    kind, res = run(key("pinned.asc"), _ansible_diff=True)
    assert res["changed"] is True
    assert res["diff"]["before"] == "%s, 09D80A93150D084E860BC2D69084B999C277A89D, " \
        "F956D629F1451021335FBB6DCD9B9304A490DE07, CDE40E4F38F22AA735CBD75B92FFF3556F7BE97E\n" % PINNED
    assert dest.read_bytes() == key("pinned.gpg")


@pytest.mark.parametrize("served, message", [
    ("pinned-and-other-one-block.asc", "another primary key beside the pinned one"),
    ("pinned-then-other-block.asc", "2 armor blocks"),
    ("pinned-text-then-other.asc", "2 armor blocks"),
    ("text-before-pinned.asc", "text before its armor block"),
    ("pinned-as-subkey-of-other.asc", "is only a subkey of primary key 7B32CA5AA69EA3C335DB0BC68A512AA7F676A28B"),
    ("other-with-subkey.asc", "not %s %s" % (VAR, PINNED)),
])
def test_refusals_write_nothing_and_keep_an_existing_keyring(run, tmp_path, served, message):
    dest = tmp_path / "keyrings" / "docker.gpg"
    dest.parent.mkdir()
    dest.write_bytes(b"previous")
    kind, res = run(key(served))
    assert kind == "Fail"
    assert message in res["msg"] and "Nothing was written" in res["msg"]
    assert dest.read_bytes() == b"previous"
    assert os.listdir(dest.parent) == ["docker.gpg"]  # no temporary file left


def test_a_key_id_pin_is_refused_naming_the_variable(run, tmp_path):
    kind, res = run(key("pinned.asc"), fingerprint="C0F4D045")
    assert kind == "Fail" and "%s 'C0F4D045' is a key ID" % VAR in res["msg"]
    assert not (tmp_path / "keyrings").exists()


def test_an_unreadable_file_url_is_named(run, tmp_path):
    kind, res = run(b"", url="file:///nonexistent/linux/debian/gpg")
    assert kind == "Fail"
    assert res["msg"].startswith("Could not read Docker's repository key from file:///nonexistent/linux/debian/gpg")
    assert not (tmp_path / "keyrings").exists()


def test_an_oversized_file_is_not_a_key(run):
    kind, res = run(b"\x99" * (_repo_key.MAX_KEY_BYTES + 1))
    assert kind == "Fail" and "larger than" in res["msg"]


@pytest.fixture
def http_mirror(tmp_path):
    root = tmp_path / "www"
    (root / "linux" / "debian").mkdir(parents=True)

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=str(root), **kw)

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, "http://127.0.0.1:%d" % server.server_address[1]
    server.shutdown()
    shutil.rmtree(str(root))


def test_over_http_from_a_real_server(run, tmp_path, http_mirror):
    root, base = http_mirror
    (root / "linux" / "debian" / "gpg").write_bytes(key("pinned.asc"))
    kind, res = run(b"", url=base + "/linux/debian/gpg")
    assert kind == "Exit" and res["changed"] is True
    assert (tmp_path / "keyrings" / "docker.gpg").read_bytes() == key("pinned.gpg")


def test_http_404_is_named_with_the_url(run, tmp_path, http_mirror):
    _root, base = http_mirror
    kind, res = run(b"", url=base + "/linux/ubuntu/gpg")
    assert kind == "Fail" and res["status"] == 404
    assert res["msg"].startswith("Could not read Docker's repository key from %s/linux/ubuntu/gpg" % base)
    assert not (tmp_path / "keyrings").exists()


def test_a_hostile_key_over_http_is_refused(run, tmp_path, http_mirror):
    root, base = http_mirror
    (root / "linux" / "debian" / "gpg").write_bytes(key("pinned-and-other-one-block.asc"))
    kind, res = run(b"", url=base + "/linux/debian/gpg")
    assert kind == "Fail" and "another primary key" in res["msg"]
    assert not (tmp_path / "keyrings").exists()


def test_another_scheme_is_refused(run):
    kind, res = run(b"", url="ftp://127.0.0.1/linux/debian/gpg")
    assert kind == "Fail" and "must start with http://, https:// or file:///" in res["msg"]


def test_backup_keeps_the_replaced_keyring_and_only_then(run, tmp_path):
    dest = tmp_path / "keyrings" / "docker.gpg"
    dest.parent.mkdir()
    dest.write_bytes(key("pinned-and-other.gpg"))
    kind, res = run(key("pinned.asc"), backup=True)
    assert kind == "Exit" and res["changed"] is True
    assert dest.read_bytes() == key("pinned.gpg")
    backup = res["backup_file"]
    assert os.path.dirname(backup) == str(dest.parent) and open(backup, "rb").read() == key("pinned-and-other.gpg")
    # Unchanged: no new copy. New: nothing to keep. Check mode: nothing written.
    kind, res = run(key("pinned.asc"), backup=True)
    assert res["changed"] is False and "backup_file" not in res
    os.unlink(dest)
    kind, res = run(key("pinned.asc"), backup=True)
    assert res["changed"] is True and "backup_file" not in res
    dest.write_bytes(key("pinned-and-other.gpg"))
    before = sorted(os.listdir(dest.parent))
    kind, res = run(key("pinned.asc"), backup=True, _ansible_check_mode=True)
    assert res["changed"] is True and "backup_file" not in res and sorted(os.listdir(dest.parent)) == before
