"""module_utils/_repo_key.py, through docker_repo_key on real files and a real HTTP server on loopback: how a served
key is read (bounded, timed out) and how each refusal is worded. Key files: tests/unit/fixtures/keys (README)."""
import http.server
import os
import threading
import time

import pytest

from ansible_collections.dockerops.host.plugins.module_utils import _repo_key
from ansible_collections.dockerops.host.plugins.modules import docker_repo_key

from harness import patch_exits, run_main

KEYS = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "keys")
PINNED = "51E92E8432C53952FE66175DE5BF3431C0F4D045"


def key(name):
    with open(os.path.join(KEYS, name), "rb") as f:
        return f.read()


@pytest.fixture
def run(monkeypatch, tmp_path):
    patch_exits(monkeypatch)

    def _run(url, **args):
        params = dict(url=url, fingerprint=PINNED, dest=str(tmp_path / "keyrings" / "docker.gpg"))
        params.update(args)
        return run_main(docker_repo_key.main, params)
    return _run


class Handler(http.server.BaseHTTPRequestHandler):
    """/slow: the pinned key after 3 s; /endless: zeros until the client hangs up; anything else: 404."""

    def do_GET(self):
        if self.path == "/slow":
            time.sleep(3)
            body = key("pinned.asc")
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif self.path == "/endless":
            self.send_response(200)
            self.end_headers()
            try:
                while True:
                    self.wfile.write(b"\0" * 65536)
            except (BrokenPipeError, ConnectionResetError):
                pass
        else:
            self.send_error(404, "File not found")

    def log_message(self, *a):
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield "http://127.0.0.1:%d" % httpd.server_address[1]
    httpd.shutdown()


def test_the_timeout_bounds_the_wait_for_the_mirror(run, server, tmp_path):
    start = time.monotonic()
    kind, res = run(server + "/slow", timeout=1)
    assert kind == "Fail" and res["msg"].startswith("Could not read Docker's repository key from %s/slow: " % server)
    assert "timed out" in res["msg"] and time.monotonic() - start < 2.5
    assert not (tmp_path / "keyrings").exists()
    kind, res = run(server + "/slow", timeout=10)
    assert kind == "Exit" and res["fingerprint"] == PINNED


def test_a_404_is_named_with_the_server_s_words(run, server):
    kind, res = run(server + "/linux/debian/gpg")
    assert kind == "Fail" and res["status"] == 404
    assert res["msg"] == ("Could not read Docker's repository key from %s/linux/debian/gpg: HTTP Error 404: File not "
                          "found. Nothing was written." % server)


def test_an_endless_answer_is_read_no_further_than_the_limit(run, server):
    kind, res = run(server + "/endless")
    assert kind == "Fail" and res["msg"] == ("The file at %s/endless is larger than 1048576 bytes: not a repository key. "
                                             "Nothing was written." % server)


def test_an_endless_file_is_read_no_further_than_the_limit(run):
    kind, res = run("file:///dev/zero")
    assert kind == "Fail" and res["msg"] == ("The file at file:///dev/zero is larger than 1048576 bytes: not a "
                                             "repository key. Nothing was written.")


def test_an_unreadable_file_is_named_with_the_system_s_words(run, tmp_path):
    kind, res = run("file://%s/none" % tmp_path)
    assert kind == "Fail" and res["msg"] == ("Could not read Docker's repository key from file://%s/none: [Errno 2] No "
                                             "such file or directory: '%s/none'. Nothing was written." % (tmp_path,
                                                                                                          tmp_path))


def test_a_refusal_names_the_url_in_its_message_and_result(run, tmp_path):
    served = tmp_path / "gpg"
    served.write_bytes(key("pinned-and-other-one-block.asc"))
    kind, res = run("file://%s" % served)
    assert kind == "Fail" and res["url"] == "file://%s" % served
    assert res["msg"].startswith("Refusing the key at file://%s: the key file holds another primary key" % served)


def test_another_scheme_is_refused_with_these_words(run):
    kind, res = run("ftp://127.0.0.1/gpg")
    assert kind == "Fail" and res["msg"] == "url 'ftp://127.0.0.1/gpg' must start with http://, https:// or file:///"


def test_describe_names_keys_by_fingerprint_and_anything_else_as_not_a_key():
    assert _repo_key.describe(None) == "(absent)\n"
    # The primary key, then its subkey.
    assert _repo_key.describe(key("pinned.gpg")) == PINNED + ", 09D80A93150D084E860BC2D69084B999C277A89D\n"
    said = _repo_key.describe(b"not a key")
    assert said.startswith("(not a key: ") and said.endswith(")\n") and len(said) > len("(not a key: )\n")
