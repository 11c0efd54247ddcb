"""cri_dockerd's main(): downloads over a real HTTP server on 127.0.0.1 (Python's http.server), real tar archives,
real files in a temporary root; systemctl answered with the recordings in tests/unit/fixtures/cri_dockerd
(README.md there says how each was recorded).

No cri-dockerd build exists in this lab, so the payload is this machine's /bin/true under cri-dockerd's name: an ELF
executable, which is all the module checks of it. These tests are about the download, the pin, the unpacking, the
units and the rollback, never about cri-dockerd running."""
import functools
import gzip
import hashlib
import http.server
import io
import json
import os
import shutil
import socket
import stat
import tarfile
import tempfile
import threading

import pytest
from ansible.module_utils import basic

from ansible_collections.dockerops.host.plugins.modules import cri_dockerd

from harness import patch_exits, run_main

FIX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fixtures", "cri_dockerd")
with open("/bin/true", "rb") as _f:
    PAYLOAD = _f.read()
OTHER_PAYLOAD = PAYLOAD + b"\0"  # another ELF file: a newer release, as far as the module can tell


def recorded(name):
    def read(ext):
        with open(os.path.join(FIX, "%s.%s" % (name, ext))) as f:
            return f.read()
    return int(read("rc")), read("stdout"), read("stderr")


def tgz(members):
    """A .tgz of (name, bytes or ('symlink', target)) members; the same members give the same bytes."""
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as packed, tarfile.open(fileobj=packed, mode="w") as archive:
        for name, data in members:
            info = tarfile.TarInfo(name)
            if name.endswith("/"):
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                archive.addfile(info)
            elif isinstance(data, tuple):
                info.type, info.linkname = tarfile.SYMTYPE, data[1]
                archive.addfile(info)
            else:
                info.size, info.mode = len(data), 0o755
                archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def pin(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


@pytest.fixture
def web():
    """A real HTTP server on 127.0.0.1 serving a temporary directory; web.put(name, bytes) -> URL; web.hits."""
    root = tempfile.mkdtemp(prefix="cri-web")
    hits = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            hits.append(self.path)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=root))
    thread = threading.Thread(target=server.serve_forever, kwargs=dict(poll_interval=0.02), daemon=True)
    thread.start()

    class Web(object):
        def put(self, name, data, auth=""):
            with open(os.path.join(root, name), "wb") as f:
                f.write(data)
            return "http://%s127.0.0.1:%d/%s" % (auth, server.server_address[1], name)
    web = Web()
    web.hits = hits
    yield web
    server.shutdown()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def host(monkeypatch):
    """A temporary root with systemd 'running'; host.answers[argv tuple after systemctl] = recording name."""
    patch_exits(monkeypatch)
    root = tempfile.mkdtemp(prefix="cri-host")
    os.makedirs(os.path.join(root, "run-systemd"))
    monkeypatch.setattr(cri_dockerd, "SYSTEMD_RUN", os.path.join(root, "run-systemd"))
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda self, name, *a, **k: "/usr/bin/" + name)
    calls = []

    class Host(object):
        dest = os.path.join(root, "bin", "cri-dockerd")
        unit_dir = os.path.join(root, "units")
        state_file = os.path.join(root, "state", "cri-dockerd.json")
        sock = os.path.join(root, "cri-dockerd.sock")
        answers = {}

        def args(self, url, checksum, **kw):
            args = dict(url=url, checksum=checksum, dest=self.dest, unit_dir=self.unit_dir, socket=self.sock,
                        state_file=self.state_file)
            args.update(kw)
            return args

        def run(self, args, check=False, diff=False):
            if check:
                args["_ansible_check_mode"] = True
            if diff:
                args["_ansible_diff"] = True
            return run_main(cri_dockerd.main, args)

        def unit(self, name):
            path = os.path.join(self.unit_dir, name)
            return open(path).read() if os.path.exists(path) else None

    h = Host()
    h.calls = calls

    def fake_run(self, argv, **kw):
        assert argv[0] == "/usr/bin/systemctl"
        calls.append(tuple(argv[1:]))
        name = h.answers.get(tuple(argv[1:]))
        if name is None:
            name = {"is-active": "is-active-inactive", "enable": "enable", "daemon-reload": "daemon-reload",
                    "restart": "restart-ok", "stop": "stop", "disable": "disable-now"}[argv[1]]
        if argv[1:] == ["restart", cri_dockerd.SOCKET] and not os.path.exists(h.sock):
            listener = socket.socket(socket.AF_UNIX)  # systemd makes the socket when it starts cri-docker.socket
            listener.bind(h.sock)
            listener.close()
        return recorded(name)
    monkeypatch.setattr(basic.AnsibleModule, "run_command", fake_run)
    yield h
    shutil.rmtree(root, ignore_errors=True)


def refused_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return "http://127.0.0.1:%d/cri-dockerd.tgz" % port


# --- inputs, refused before anything is read or written ---

@pytest.mark.parametrize("field,value,words", [
    ("checksum", "", "checksum: give sha256:"),
    ("checksum", "md5:" + "0" * 32, "checksum: give sha256:"),
    ("checksum", "sha256:" + "0" * 63, "checksum: give sha256:"),
    ("checksum", "sha512:" + "0" * 128, "checksum: give sha256:"),
    ("url", "", "url: \"\" is not an http(s):// or file:// URL"),
    ("url", "ftp://127.0.0.1/cri-dockerd", "is not an http(s):// or file:// URL"),
    ("url", "https://127.0.0.1/a b", "is not an http(s):// or file:// URL"),
    ("dest", "bin/cri-dockerd", "dest: \"bin/cri-dockerd\" is not an absolute path"),
    ("socket", "/run/cri dockerd.sock", "socket: "),
    ("socket_group", "docker staff", "socket_group: \"docker staff\" is not a group name"),
    ("pod_infra_image", "pause:3.10 --evil", "pod_infra_image: "),
    ("extra_args", ["--log-level=info", "--a b"], "extra_args[1]: \"--a b\" is not one --name"),
    ("extra_args", ["--root-directory=$HOME"], "extra_args[0]"),
    ("extra_args", ["--root-directory=%h"], "extra_args[0]"),
    ("extra_args", ["--x\nExecStartPre=/bin/sh"], "extra_args[0]"),
])
def test_bad_input_is_refused_naming_the_option_before_anything_is_read(host, field, value, words):
    args = host.args("http://127.0.0.1:1/x.tgz", pin(PAYLOAD))
    args[field] = value
    kind, result = host.run(args)
    assert kind == "Fail"
    assert words in result["msg"]
    assert host.calls == []
    assert not os.path.exists(host.dest) and not os.path.exists(host.unit_dir)


def test_the_pin_may_be_written_in_capitals(host, web):
    url = web.put("cri-dockerd.tgz", tgz([("cri-dockerd/cri-dockerd", PAYLOAD)]))
    kind, result = host.run(host.args(url, pin(tgz([("cri-dockerd/cri-dockerd", PAYLOAD)])).upper()
                                      .replace("SHA256:", "sha256:")))
    assert kind == "Exit", result


def test_no_systemd_is_refused(host, monkeypatch):
    monkeypatch.setattr(cri_dockerd, "SYSTEMD_RUN", os.path.join(host.unit_dir, "absent"))
    kind, result = host.run(host.args(refused_port(), pin(PAYLOAD)))
    assert kind == "Fail" and "systemd is not running" in result["msg"]


# --- a first install ---

def test_first_install_from_the_release_archive(host, web):
    archive = tgz([("cri-dockerd/", b""), ("cri-dockerd/cri-dockerd", PAYLOAD)])
    url = web.put("cri-dockerd-0.3.20.amd64.tgz", archive)
    kind, result = host.run(host.args(url, pin(archive), pod_infra_image="registry.example.com/pause:3.10"))
    assert kind == "Exit", result
    assert result["changed"] and result["binary_changed"] and result["restarted"]
    assert result["binary_sha256"] == hashlib.sha256(PAYLOAD).hexdigest()
    assert result["socket"] == "unix://" + host.sock
    with open(host.dest, "rb") as f:
        assert f.read() == PAYLOAD
    st = os.stat(host.dest)
    assert stat.S_IMODE(st.st_mode) == 0o755 and st.st_uid == 0 and st.st_gid == 0
    assert "ExecStart=%s --container-runtime-endpoint fd:// --network-plugin=cni " \
           "--pod-infra-container-image=registry.example.com/pause:3.10\n" % host.dest in host.unit("cri-docker.service")
    assert "Type=notify\n" in host.unit("cri-docker.service")
    assert "Requires=docker.service cri-docker.socket\n" in host.unit("cri-docker.service")
    socket_text = host.unit("cri-docker.socket")
    assert "ListenStream=%s\n" % host.sock in socket_text and "SocketGroup=docker\n" in socket_text
    assert "SocketMode=0660\n" in socket_text and "RemoveOnStop=yes\n" in socket_text
    assert stat.S_ISSOCK(os.lstat(host.sock).st_mode)
    assert host.calls == [("is-active", "cri-docker.service"), ("daemon-reload",),
                          ("enable", "cri-docker.socket", "cri-docker.service"),
                          ("restart", "cri-docker.socket"), ("restart", "cri-docker.service")]
    with open(host.state_file) as f:
        state = json.load(f)
    units = (host.unit("cri-docker.socket") + "\0" + host.unit("cri-docker.service")).encode()
    assert state == dict(checksum=pin(archive)[7:], binary_sha256=result["binary_sha256"], url=url,
                         units_sha256=hashlib.sha256(units).hexdigest())
    assert web.hits == ["/cri-dockerd-0.3.20.amd64.tgz"]


def test_the_binary_itself_may_be_the_download(host, web):
    url = web.put("cri-dockerd", PAYLOAD)
    kind, result = host.run(host.args(url, pin(PAYLOAD), network_plugin="", extra_args=["--log-level=debug"]))
    assert kind == "Exit", result
    with open(host.dest, "rb") as f:
        assert f.read() == PAYLOAD
    assert "ExecStart=%s --container-runtime-endpoint fd:// --log-level=debug\n" % host.dest \
        in host.unit("cri-docker.service")


def test_a_file_url(host):
    path = os.path.join(os.path.dirname(host.dest) + "-src", "cri-dockerd.tgz")
    os.makedirs(os.path.dirname(path))
    archive = tgz([("cri-dockerd/cri-dockerd", PAYLOAD)])
    with open(path, "wb") as f:
        f.write(archive)
    kind, result = host.run(host.args("file://" + path, pin(archive)))
    assert kind == "Exit", result
    assert os.path.exists(host.dest)


# --- the pin, and what a hostile or broken mirror serves ---

def test_a_download_that_differs_from_the_pin_installs_nothing(host, web):
    url = web.put("cri-dockerd.tgz", tgz([("cri-dockerd/cri-dockerd", PAYLOAD)]))
    pinned = pin(tgz([("cri-dockerd/cri-dockerd", OTHER_PAYLOAD)]))
    kind, result = host.run(host.args(url, pinned))
    assert kind == "Fail"
    assert "does not match checksum" in result["msg"] and pinned[7:] in result["msg"]
    assert "nothing was installed" in result["msg"]
    assert not os.path.exists(host.dest) and not os.path.exists(host.unit_dir)
    assert not os.path.exists(host.state_file)
    assert host.calls == [("is-active", "cri-docker.service")]


@pytest.mark.parametrize("members,words", [
    ([("cri-dockerd/README.md", b"hello")], "has 0 regular files named cri-dockerd (none)"),
    ([("a/cri-dockerd", PAYLOAD), ("b/cri-dockerd", PAYLOAD)], "has 2 regular files named cri-dockerd"),
    ([("cri-dockerd/cri-dockerd", ("symlink", "/bin/sh"))], "\"cri-dockerd/cri-dockerd\" is a link"),
    ([("cri-dockerd/cri-dockerd", b"#!/bin/sh\nexec /bin/sh\n")], "is not an ELF executable"),
])
def test_an_archive_without_one_real_binary_is_refused(host, web, members, words):
    archive = tgz(members)
    kind, result = host.run(host.args(web.put("c.tgz", archive), pin(archive)))
    assert kind == "Fail" and words in result["msg"], result
    assert not os.path.exists(host.dest) and not os.path.exists(host.unit_dir)


def test_a_download_neither_elf_nor_tar_is_refused(host, web):
    page = b"<html>mirror maintenance</html>\n"
    kind, result = host.run(host.args(web.put("page", page), pin(page)))
    assert kind == "Fail" and "neither an ELF executable nor a tar archive" in result["msg"]


def test_a_download_too_large_is_refused(host, web, monkeypatch):
    monkeypatch.setattr(cri_dockerd, "MAX_BYTES", len(PAYLOAD) - 1)
    kind, result = host.run(host.args(web.put("cri-dockerd", PAYLOAD), pin(PAYLOAD)))
    assert kind == "Fail" and "is larger than %d bytes" % (len(PAYLOAD) - 1) in result["msg"]
    assert not os.path.exists(host.dest)


def test_an_archive_with_too_many_members_is_refused(host, web, monkeypatch):
    monkeypatch.setattr(cri_dockerd, "MAX_MEMBERS", 3)
    archive = tgz([("f%d" % i, b"x") for i in range(4)] + [("cri-dockerd", PAYLOAD)])
    kind, result = host.run(host.args(web.put("c.tgz", archive), pin(archive)))
    assert kind == "Fail" and "more than 3 members" in result["msg"]


def test_an_unreachable_url_fails_naming_it_and_installs_nothing(host):
    url = refused_port()
    kind, result = host.run(host.args(url, pin(PAYLOAD)))
    assert kind == "Fail" and result["msg"].startswith("could not download %s: " % url)
    assert not os.path.exists(host.dest)


def test_a_password_in_the_url_is_never_shown(host, web):
    url = web.put("cri-dockerd", PAYLOAD, auth="deploy:s3cr3t-pw@")
    kind, result = host.run(host.args(url, pin(OTHER_PAYLOAD)))
    assert kind == "Fail"
    assert "s3cr3t-pw" not in json.dumps(result)
    assert "deploy:***@" in result["msg"]


# --- reruns ---

def install(host, web, payload=PAYLOAD):
    url = web.put("cri-dockerd", payload)
    kind, result = host.run(host.args(url, pin(payload)))
    assert kind == "Exit", result
    del host.calls[:]
    del web.hits[:]
    return url


def test_a_rerun_downloads_nothing_and_restarts_nothing(host, web):
    url = install(host, web)
    host.answers[("is-active", "cri-docker.service")] = "is-active-active"
    kind, result = host.run(host.args(url, pin(PAYLOAD)))
    assert kind == "Exit", result
    assert not result["changed"] and not result["restarted"] and not result["binary_changed"]
    assert web.hits == []
    assert host.calls == [("is-active", "cri-docker.service")]


def test_a_rerun_with_the_mirror_gone_still_passes(host, web):
    install(host, web)
    host.answers[("is-active", "cri-docker.service")] = "is-active-active"
    kind, result = host.run(host.args(refused_port(), pin(PAYLOAD)))
    assert kind == "Exit" and not result["changed"], result


def test_a_binary_changed_on_disk_is_downloaded_again(host, web):
    url = install(host, web)
    with open(host.dest, "ab") as f:
        f.write(b"tampered")
    host.answers[("is-active", "cri-docker.service")] = "is-active-active"
    kind, result = host.run(host.args(url, pin(PAYLOAD)))
    assert kind == "Exit" and result["changed"] and result["binary_changed"], result
    assert web.hits == ["/cri-dockerd"]
    with open(host.dest, "rb") as f:
        assert f.read() == PAYLOAD
    assert ("restart", "cri-docker.service") in host.calls


def test_a_lost_record_downloads_again_and_restarts(host, web):
    """Without the record the module cannot tell which binary and units cri-dockerd was started on."""
    url = install(host, web)
    os.unlink(host.state_file)
    host.answers[("is-active", "cri-docker.service")] = "is-active-active"
    kind, result = host.run(host.args(url, pin(PAYLOAD)))
    assert kind == "Exit", result
    assert not result["binary_changed"] and result["restarted"] and result["changed"]
    assert web.hits == ["/cri-dockerd"]
    assert ("restart", "cri-docker.service") in host.calls
    assert os.path.exists(host.state_file)


def test_a_run_killed_between_its_unit_write_and_the_restart_is_restarted_by_the_next(host, web):
    url = install(host, web)
    # What a killed run leaves: the new unit written, cri-dockerd still running on the old one, the record old.
    args = host.args(url, pin(PAYLOAD), pod_infra_image="pause:3.10")
    with open(os.path.join(host.unit_dir, "cri-docker.service"), "w") as f:
        f.write(cri_dockerd.service_unit(dict(args, network_plugin="cni", extra_args=[])))
    host.answers[("is-active", "cri-docker.service")] = "is-active-active"
    kind, result = host.run(args)
    assert kind == "Exit" and result["units_changed"] == [] and result["restarted"] and result["changed"], result
    assert web.hits == []
    assert ("restart", "cri-docker.service") in host.calls
    kind, result = host.run(args)
    assert kind == "Exit" and not result["changed"], result


def test_a_stopped_service_is_started(host, web):
    url = install(host, web)
    kind, result = host.run(host.args(url, pin(PAYLOAD)))  # is-active answers inactive
    assert kind == "Exit" and result["changed"] and result["restarted"] and not result["binary_changed"]
    assert web.hits == []
    assert ("restart", "cri-docker.service") in host.calls


def test_a_changed_flag_rewrites_the_service_unit_only(host, web):
    url = install(host, web)
    host.answers[("is-active", "cri-docker.service")] = "is-active-active"
    kind, result = host.run(host.args(url, pin(PAYLOAD), pod_infra_image="pause:3.10"), diff=True)
    assert kind == "Exit" and result["units_changed"] == ["cri-docker.service"] and not result["binary_changed"]
    assert ("restart", "cri-docker.socket") not in host.calls
    assert ("restart", "cri-docker.service") in host.calls
    service_diff = [d for d in result["diff"] if d["after_header"].endswith("cri-docker.service")][0]
    assert "--pod-infra-container-image=pause:3.10" in service_diff["after"]
    assert "--pod-infra-container-image" not in service_diff["before"]


# --- check mode ---

def test_check_mode_on_a_fresh_host_downloads_and_writes_nothing(host, web):
    url = web.put("cri-dockerd", PAYLOAD)
    kind, result = host.run(host.args(url, pin(PAYLOAD)), check=True, diff=True)
    assert kind == "Exit" and result["changed"] and result["binary_changed"], result
    assert result["units_changed"] == ["cri-docker.socket", "cri-docker.service"]
    assert web.hits == [] and not os.path.exists(host.dest) and not os.path.exists(host.unit_dir)
    assert host.calls == [("is-active", "cri-docker.service")]
    assert result["diff"][-1]["after"] == "sha256 of the binary in the download pinned as %s\n" % pin(PAYLOAD)[7:]


def test_check_mode_with_a_new_pin_says_so(host, web):
    url = install(host, web)
    host.answers[("is-active", "cri-docker.service")] = "is-active-active"
    kind, result = host.run(host.args(url, pin(OTHER_PAYLOAD)), check=True)
    assert kind == "Exit" and result["binary_changed"] and result["restarted"]
    with open(host.dest, "rb") as f:
        assert f.read() == PAYLOAD


# --- a start that fails: the previous state comes back ---

def test_a_first_install_that_does_not_start_is_taken_away(host, web):
    host.answers[("restart", "cri-docker.service")] = "restart-not-ready"
    url = web.put("cri-dockerd", PAYLOAD)
    kind, result = host.run(host.args(url, pin(PAYLOAD)))
    assert kind == "Fail"
    assert result["rc"] == 1
    assert "the service did not take the steps required by its unit configuration" in result["msg"]
    assert "the previous binary and units were put back" in result["msg"]
    assert not os.path.exists(host.dest)
    assert host.unit("cri-docker.service") is None and host.unit("cri-docker.socket") is None
    assert not os.path.exists(host.state_file)
    assert ("disable", "--now", "cri-docker.socket", "cri-docker.service") in host.calls
    assert host.calls[-1] == ("daemon-reload",)
    assert not os.path.exists(host.sock)


def test_an_upgrade_that_does_not_start_puts_the_old_binary_back_and_restarts_it(host, web):
    install(host, web)
    old_units = host.unit("cri-docker.service")
    host.answers[("is-active", "cri-docker.service")] = "is-active-active"
    host.answers[("restart", "cri-docker.service")] = "restart-not-ready"
    url = web.put("new", OTHER_PAYLOAD)
    kind, result = host.run(host.args(url, pin(OTHER_PAYLOAD)))
    assert kind == "Fail" and "and cri-docker.service restarted on them" in result["msg"]
    with open(host.dest, "rb") as f:
        assert f.read() == PAYLOAD
    assert host.unit("cri-docker.service") == old_units
    assert host.calls.count(("restart", "cri-docker.service")) == 2
    assert ("disable", "--now", "cri-docker.socket", "cri-docker.service") not in host.calls
    with open(host.state_file) as f:
        assert json.load(f)["checksum"] == pin(PAYLOAD)[7:]


def test_no_docker_unit_fails_with_systemds_words(host, web):
    host.answers[("restart", "cri-docker.service")] = "restart-no-docker"
    kind, result = host.run(host.args(web.put("cri-dockerd", PAYLOAD), pin(PAYLOAD)))
    assert kind == "Fail" and "Unit docker.service not found" in result["msg"] and result["rc"] == 5
