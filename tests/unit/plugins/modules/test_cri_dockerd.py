"""cri_dockerd's main(): downloads over a real HTTP server on 127.0.0.1 (Python's http.server), real tar archives,
real files in a temporary root; systemctl answered with the recordings in tests/unit/fixtures/cri_dockerd
(README.md there says how each was recorded).

No cri-dockerd build exists in this lab, so the payload is this machine's /bin/true under cri-dockerd's name: an ELF
executable, which is all the module checks of it. These tests are about the download, the pin, the unpacking, the
units and the rollback, never about cri-dockerd running."""
import base64
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
import subprocess
import sys
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
# The machine /bin/true is built for, which the tests' host then is (uname -m).
MACHINE = dict((v, k) for k, v in cri_dockerd.E_MACHINE.items())[int.from_bytes(PAYLOAD[18:20], "little")]


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
    """A real HTTP server on 127.0.0.1 serving a temporary directory; web.put(name, bytes) -> URL; web.hits.
    web.auth = (user, password) asks for basic authentication; web.gzip_encoded sends .tgz files with
    Content-Encoding: gzip (as nginx's gzip_static or an object store's metadata can); web.redirect answers every
    request with a 302 to that location."""
    root = tempfile.mkdtemp(prefix="cri-web")
    hits = []

    class Web(object):
        auth = None
        gzip_encoded = False
        redirect = None

        def put(self, name, data):
            with open(os.path.join(root, name), "wb") as f:
                f.write(data)
            return "http://127.0.0.1:%d/%s" % (server.server_address[1], name)
    web = Web()
    web.hits = hits

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            hits.append(self.path)
            if web.redirect:
                self.send_response(302)
                self.send_header("Location", web.redirect)
                self.end_headers()
                return
            if web.auth:
                want = "Basic " + base64.b64encode(("%s:%s" % web.auth).encode()).decode()
                if self.headers.get("Authorization") != want:
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="lab"')
                    self.end_headers()
                    return
            return http.server.SimpleHTTPRequestHandler.do_GET(self)

        def end_headers(self):
            if web.gzip_encoded and self.path.endswith(".tgz"):
                self.send_header("Content-Encoding", "gzip")
            http.server.SimpleHTTPRequestHandler.end_headers(self)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=root))
    thread = threading.Thread(target=server.serve_forever, kwargs=dict(poll_interval=0.02), daemon=True)
    thread.start()
    yield web
    server.shutdown()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def host(monkeypatch):
    """A temporary root with systemd 'running'. systemctl answers with the recordings, chosen by the state of the
    units in the temporary unit directory (present, enabled, active), which enable, restart, stop and disable change
    as systemd would; host.answers[argv tuple after systemctl] = recording name overrides."""
    patch_exits(monkeypatch)
    root = tempfile.mkdtemp(prefix="cri-host")
    os.makedirs(os.path.join(root, "run-systemd"))
    monkeypatch.setattr(cri_dockerd, "SYSTEMD_RUN", os.path.join(root, "run-systemd"))
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda self, name, *a, **k: "/usr/bin/" + name)
    monkeypatch.setattr(os, "uname", lambda: ("Linux", "lab", "6.12", "#1", MACHINE))
    calls = []

    class Host(object):
        dest = os.path.join(root, "bin", "cri-dockerd")
        unit_dir = os.path.join(root, "units")
        state_file = os.path.join(root, "state", "cri-dockerd.json")
        sock = os.path.join(root, "cri-dockerd.sock")
        answers = {}
        active = False
        enabled = False

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

        def mode(self, path):
            return stat.S_IMODE(os.stat(path).st_mode)

    h = Host()
    h.calls = calls

    def fake_run(self, argv, **kw):
        assert argv[0] == "/usr/bin/systemctl"
        args = tuple(argv[1:])
        calls.append(args)
        present = os.path.exists(os.path.join(h.unit_dir, cri_dockerd.SERVICE))
        verb = argv[1]
        name = h.answers.get(args)
        if isinstance(name, list):  # one answer after another, the last one kept
            name = name.pop(0) if len(name) > 1 else name[0]
        if name is None:
            if verb == "show":
                name = "show-ours" if present else "show-not-found"
            elif verb == "is-active":
                name = "is-active-active" if h.active else "is-active-inactive" if present else "is-active-not-found"
            elif verb == "is-enabled":
                name = "is-enabled-enabled" if h.enabled else "is-enabled-disabled" if present else \
                    "is-enabled-socket-not-found" if argv[2] == cri_dockerd.SOCKET else "is-enabled-not-found"
            else:
                name = {"enable": "enable", "daemon-reload": "daemon-reload", "restart": "restart-ok",
                        "stop": "stop", "disable": "disable-now", "reset-failed": "reset-failed"}[verb]
        rc, out, err = recorded(name)
        if verb == "show":
            out = out.replace("/etc/systemd/system", h.unit_dir)
        if verb == "enable" and rc == 0:
            h.enabled = True
        if verb == "disable" and rc == 0:
            h.enabled = h.active = False
            if os.path.exists(h.sock):
                os.unlink(h.sock)  # RemoveOnStop=yes
        if verb == "stop" and rc == 0:
            h.active = False
        if verb == "restart" and argv[2] == cri_dockerd.SERVICE:
            h.active = rc == 0
            if not os.path.exists(h.sock):
                listener = socket.socket(socket.AF_UNIX)  # systemd makes the socket when it starts cri-docker.socket
                listener.bind(h.sock)
                listener.close()
        return rc, out, err
    monkeypatch.setattr(basic.AnsibleModule, "run_command", fake_run)
    yield h
    shutil.rmtree(root, ignore_errors=True)


SHOW = ("show", "-p", "FragmentPath", "-p", "DropInPaths", "cri-docker.service")
READS = [SHOW, ("is-active", "cri-docker.service"), ("is-enabled", "cri-docker.socket")]
READS_ENABLED = READS + [("is-enabled", "cri-docker.service")]


def refused_port():
    """A URL nothing answers: tcpmux's port, which no daemon of this machine listens on (connection refused)."""
    return "http://127.0.0.1:1/cri-dockerd.tgz"


def nothing_installed(host):
    assert not os.path.exists(host.dest) and host.unit("cri-docker.service") is None
    assert host.unit("cri-docker.socket") is None and not os.path.exists(host.state_file)


# --- inputs, refused before anything is read or written ---

@pytest.mark.parametrize("field,value,words", [
    ("checksum", "", "checksum: give sha256:"),
    ("checksum", "md5:" + "0" * 32, "checksum: give sha256:"),
    ("checksum", "sha256:" + "0" * 63, "checksum: give sha256:"),
    ("checksum", "sha512:" + "0" * 128, "checksum: give sha256:"),
    ("url", "", "url: \"\" is not an http(s):// or file:// URL"),
    ("url", "ftp://127.0.0.1/cri-dockerd", "is not an http(s):// or file:// URL"),
    ("url", "https://127.0.0.1/a b", "is not an http(s):// or file:// URL"),
    ("url", "https://[mirror/x.tgz", "is not an http(s):// or file:// URL"),
    ("url", "https://deploy:pw@127.0.0.1/x.tgz", "carries credentials; give them as url_username and url_password"),
    ("dest", "bin/cri-dockerd", "dest: \"bin/cri-dockerd\" is not an absolute file path"),
    ("dest", "/usr/local/bin/", "dest: \"/usr/local/bin/\" is not an absolute file path"),
    ("socket", "/run/cri dockerd.sock", "socket: "),
    ("socket", "/var/run/docker.sock", "socket: \"/var/run/docker.sock\" is another daemon's socket"),
    ("socket", "/run/containerd/containerd.sock", "is another daemon's socket"),
    ("socket_group", "docker staff", "socket_group: \"docker staff\" is not a group name"),
    ("pod_infra_image", "pause:3.10 --evil", "pod_infra_image: "),
    ("extra_args", ["--log-level=info", "--a b"], "extra_args[1]: \"--a b\" is not one --name"),
    ("extra_args", ["--root-directory=$HOME"], "extra_args[0]"),
    ("extra_args", ["--root-directory=%h"], "extra_args[0]"),
    ("extra_args", ["--x\nExecStartPre=/bin/sh"], "extra_args[0]"),
    ("extra_args", ["--container-runtime-endpoint=unix:///tmp/x.sock"],
     "extra_args[0]: --container-runtime-endpoint is set by the module"),
    ("extra_args", ["--network-plugin=kubenet"], "extra_args[0]: --network-plugin is set by the module"),
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
    archive = tgz([("cri-dockerd/cri-dockerd", PAYLOAD)])
    url = web.put("cri-dockerd.tgz", archive)
    kind, result = host.run(host.args(url, "sha256:" + pin(archive)[7:].upper()))
    assert kind == "Exit", result


def test_no_systemd_is_refused(host, monkeypatch):
    monkeypatch.setattr(cri_dockerd, "SYSTEMD_RUN", os.path.join(host.unit_dir, "absent"))
    kind, result = host.run(host.args(refused_port(), pin(PAYLOAD)))
    assert kind == "Fail" and "systemd is not running" in result["msg"]


# --- what the module did not install is not taken over ---

def test_a_cri_dockerd_from_a_package_is_refused_before_any_download(host, web):
    host.answers[SHOW] = "show-package"
    kind, result = host.run(host.args(web.put("cri-dockerd", PAYLOAD), pin(PAYLOAD)))
    assert kind == "Fail"
    assert result["msg"].startswith("cri-docker.service is already installed from /usr/lib/systemd/system/"
                                    "cri-docker.service (a package's or another tool's unit)")
    assert result["msg"].endswith("; nothing was changed")
    assert web.hits == [] and host.calls == [SHOW]
    nothing_installed(host)


def test_a_unit_written_by_hand_is_refused(host, web):
    os.makedirs(host.unit_dir)
    with open(os.path.join(host.unit_dir, "cri-docker.socket"), "w") as f:
        f.write("[Socket]\nListenStream=/run/cri-dockerd.sock\n")
    kind, result = host.run(host.args(web.put("cri-dockerd", PAYLOAD), pin(PAYLOAD)))
    assert kind == "Fail" and "cri-docker.socket exists and was not written by this module" in result["msg"]
    assert web.hits == [] and not os.path.exists(host.dest)


def test_a_file_at_dest_not_installed_by_the_module_is_refused(host, web):
    os.makedirs(os.path.dirname(host.dest))
    with open(host.dest, "wb") as f:
        f.write(PAYLOAD)
    kind, result = host.run(host.args(web.put("cri-dockerd", OTHER_PAYLOAD), pin(OTHER_PAYLOAD)))
    assert kind == "Fail" and result["msg"].startswith("dest: %s exists and was not installed by this module" % host.dest)
    with open(host.dest, "rb") as f:
        assert f.read() == PAYLOAD
    assert web.hits == []


def test_an_existing_socket_path_not_its_own_is_refused(host, web):
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(host.sock)  # another daemon's socket at the path asked for
    listener.close()
    kind, result = host.run(host.args(web.put("cri-dockerd", PAYLOAD), pin(PAYLOAD)))
    assert kind == "Fail" and result["msg"].startswith("socket: %s exists and is not this module's socket" % host.sock)
    assert stat.S_ISSOCK(os.lstat(host.sock).st_mode)
    nothing_installed(host)


def test_a_drop_in_is_a_warning(host, web, monkeypatch):
    warnings = []
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda self, text: warnings.append(text))
    url = install(host, web)
    host.answers[SHOW] = "show-drop-in"
    kind, result = host.run(host.args(url, pin(PAYLOAD)))
    assert kind == "Exit" and not result["changed"]
    assert warnings == ["cri-docker.service has drop-ins that may override this module's unit: "
                        "%s/cri-docker.service.d/10-cni.conf" % host.unit_dir]


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
    for name in ("cri-docker.service", "cri-docker.socket"):
        path = os.path.join(host.unit_dir, name)
        assert host.mode(path) == 0o644 and os.stat(path).st_uid == 0
    service = host.unit("cri-docker.service")
    assert "ExecStart=%s --container-runtime-endpoint fd:// --network-plugin=cni " \
           "--pod-infra-container-image=registry.example.com/pause:3.10\n" % host.dest in service
    assert service.startswith(cri_dockerd.MARK + "\n")
    assert "Type=notify\n" in service and "Requires=cri-docker.socket\n" in service
    assert "docker.service" not in service.split("Requires=")[1].split("\n")[0]
    socket_text = host.unit("cri-docker.socket")
    assert "ListenStream=%s\n" % host.sock in socket_text and "SocketGroup=docker\n" in socket_text
    assert "SocketMode=0660\n" in socket_text and "RemoveOnStop=yes\n" in socket_text
    assert host.calls == READS + [("daemon-reload",), ("enable", "cri-docker.socket", "cri-docker.service"),
                                  ("restart", "cri-docker.service")]
    with open(host.state_file) as f:
        state = json.load(f)
    units = (host.unit("cri-docker.socket") + "\0" + service).encode()
    assert state == dict(checksum=pin(archive)[7:], binary_sha256=result["binary_sha256"], url=url,
                         units_sha256=hashlib.sha256(units).hexdigest(), dest=host.dest, socket=host.sock)
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


def test_a_tgz_sent_with_content_encoding_gzip_is_hashed_as_sent(host, web):
    archive = tgz([("cri-dockerd/cri-dockerd", PAYLOAD)])
    web.gzip_encoded = True
    kind, result = host.run(host.args(web.put("cri-dockerd.tgz", archive), pin(archive)))
    assert kind == "Exit", result


# --- the pin, and what a hostile or broken mirror serves ---

def test_a_download_that_differs_from_the_pin_installs_nothing(host, web):
    url = web.put("cri-dockerd.tgz", tgz([("cri-dockerd/cri-dockerd", PAYLOAD)]))
    pinned = pin(tgz([("cri-dockerd/cri-dockerd", OTHER_PAYLOAD)]))
    kind, result = host.run(host.args(url, pinned))
    assert kind == "Fail"
    assert "does not match checksum" in result["msg"] and pinned[7:] in result["msg"]
    assert "nothing was installed" in result["msg"]
    nothing_installed(host)
    assert host.calls == READS


@pytest.mark.parametrize("members,words", [
    ([("cri-dockerd/README.md", b"hello")], "has 0 regular files named cri-dockerd (none)"),
    ([("a/cri-dockerd", PAYLOAD), ("b/cri-dockerd", PAYLOAD)], "has 2 regular files named cri-dockerd"),
    ([("cri-dockerd/cri-dockerd", ("symlink", "/bin/sh"))], "\"cri-dockerd/cri-dockerd\" is a link"),
    ([("cri-dockerd/cri-dockerd", b"#!/bin/sh\nexec /bin/sh\n")], "is not an ELF executable"),
    ([("cri-dockerd/cri-dockerd", PAYLOAD[:18] + b"\xb7\x00" + PAYLOAD[20:])],
     "is built for another machine (ELF e_machine 183"),
])
def test_an_archive_without_one_real_binary_is_refused(host, web, members, words):
    archive = tgz(members)
    kind, result = host.run(host.args(web.put("c.tgz", archive), pin(archive)))
    assert kind == "Fail" and words in result["msg"], result
    nothing_installed(host)


def test_a_truncated_archive_is_refused(host, web):
    archive = tgz([("cri-dockerd/cri-dockerd", PAYLOAD)])[:-2000]
    kind, result = host.run(host.args(web.put("c.tgz", archive), pin(archive)))
    assert kind == "Fail" and result["msg"].startswith("the archive cannot be read to its end"), result
    nothing_installed(host)


def test_a_download_neither_elf_nor_tar_is_refused(host, web):
    page = b"<html>mirror maintenance</html>\n"
    kind, result = host.run(host.args(web.put("page", page), pin(page)))
    assert kind == "Fail" and "neither an ELF executable nor a tar archive" in result["msg"]


def test_a_bare_binary_for_another_machine_is_refused(host, web):
    other = PAYLOAD[:18] + b"\xb7\x00" + PAYLOAD[20:]
    kind, result = host.run(host.args(web.put("cri-dockerd", other), pin(other)))
    assert kind == "Fail" and "the download is built for another machine" in result["msg"]


def test_a_download_too_large_is_refused(host, web, monkeypatch):
    monkeypatch.setattr(cri_dockerd, "MAX_BYTES", len(PAYLOAD) - 1)
    kind, result = host.run(host.args(web.put("cri-dockerd", PAYLOAD), pin(PAYLOAD)))
    assert kind == "Fail" and "is larger than %d bytes" % (len(PAYLOAD) - 1) in result["msg"]
    assert not os.path.exists(host.dest)


def test_an_archive_member_too_large_is_refused(host, web, monkeypatch):
    archive = tgz([("cri-dockerd/cri-dockerd", PAYLOAD)])
    monkeypatch.setattr(cri_dockerd, "MAX_BYTES", len(PAYLOAD) - 1)
    kind, result = host.run(host.args(web.put("c.tgz", archive), pin(archive)))
    assert kind == "Fail" and "the archive's cri-dockerd is larger than" in result["msg"], result


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


def test_basic_authentication_from_url_username_and_password(host, web):
    web.auth = ("deploy", "s3cr3t-pw")
    url = web.put("cri-dockerd", PAYLOAD)
    kind, result = host.run(host.args(url, pin(PAYLOAD), url_username="deploy", url_password="wrong"))
    assert kind == "Fail" and "HTTP Error 401" in result["msg"], result
    kind, result = host.run(host.args(url, pin(PAYLOAD), url_username="deploy", url_password="s3cr3t-pw"))
    assert kind == "Exit", result


def test_a_redirect_to_another_scheme_is_not_followed(host, web):
    web.redirect = "file:///bin/true"
    kind, result = host.run(host.args(web.put("cri-dockerd", PAYLOAD), pin(PAYLOAD)))
    assert kind == "Fail" and "could not download" in result["msg"], result
    assert not os.path.exists(host.dest)


def run_for_real(args):
    """The module as Ansible runs it (its own process, AnsibleModule's real exit), its JSON output as text."""
    path = os.path.join(tempfile.mkdtemp(prefix="cri-args"), "args.json")
    with open(path, "w") as f:
        json.dump({"ANSIBLE_MODULE_ARGS": args}, f)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run([sys.executable, "-m", "ansible_collections.dockerops.host.plugins.modules.cri_dockerd", path],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, timeout=60)
    return out.stdout.decode()


@pytest.mark.parametrize("args", [
    # refused by the module's own checks
    dict(url="https://127.0.0.1/x.tgz", checksum="md5:0", url_username="deploy", url_password="s3cr3t-pw"),
    # refused by the argument spec
    dict(url="https://127.0.0.1/x.tgz", checksum="sha256:" + "0" * 64, url_username="deploy",
         url_password="s3cr3t-pw", network_plugin="calico"),
])
def test_the_password_never_reaches_the_output(args):
    out = run_for_real(args)
    assert '"failed": true' in out
    assert "s3cr3t-pw" not in out
    assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in out


def test_credentials_in_the_url_are_refused_and_not_shown():
    out = run_for_real(dict(url="https://deploy:s3cr3t-pw@127.0.0.1/x.tgz", checksum="sha256:" + "0" * 64))
    assert "carries credentials" in out and "s3cr3t-pw" not in out
    out = run_for_real(dict(url="https://ghp_TOKENVALUE@127.0.0.1/x.tgz", checksum="sha256:" + "0" * 64))
    assert "carries credentials" in out and "ghp_TOKENVALUE" not in out


# --- reruns ---

def install(host, web, payload=PAYLOAD):
    url = web.put("cri-dockerd", payload)
    kind, result = host.run(host.args(url, pin(payload)))
    assert kind == "Exit", result
    assert host.active and host.enabled
    del host.calls[:]
    del web.hits[:]
    return url


def test_a_rerun_downloads_nothing_and_restarts_nothing(host, web):
    url = install(host, web)
    kind, result = host.run(host.args(url, pin(PAYLOAD)))
    assert kind == "Exit", result
    assert not result["changed"] and not result["restarted"] and not result["binary_changed"]
    assert web.hits == []
    assert host.calls == READS_ENABLED


def test_a_rerun_with_the_mirror_gone_still_passes(host, web):
    install(host, web)
    kind, result = host.run(host.args(refused_port(), pin(PAYLOAD)))
    assert kind == "Exit" and not result["changed"], result


def test_a_new_url_with_the_same_pin_is_a_warning(host, web, monkeypatch):
    warnings = []
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda self, text: warnings.append(text))
    url = install(host, web)
    kind, result = host.run(host.args(url.replace("cri-dockerd", "cri-dockerd-0.3.21"), pin(PAYLOAD)))
    assert kind == "Exit" and not result["changed"]
    assert warnings == ["url changed (was %s) but checksum did not: the installed binary is kept; a new release "
                        "needs its own checksum" % url]


def test_a_binary_changed_on_disk_is_downloaded_again(host, web):
    url = install(host, web)
    with open(host.dest, "ab") as f:
        f.write(b"tampered")
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
    kind, result = host.run(args)
    assert kind == "Exit" and result["units_changed"] == [] and result["restarted"] and result["changed"], result
    assert web.hits == []
    assert ("restart", "cri-docker.service") in host.calls
    kind, result = host.run(args)
    assert kind == "Exit" and not result["changed"], result


def test_a_run_killed_after_its_units_before_its_binary_is_finished_by_the_next(host, web):
    url = web.put("cri-dockerd", PAYLOAD)
    args = host.args(url, pin(PAYLOAD))
    p = dict(args, socket_group="docker", pod_infra_image="", network_plugin="cni", extra_args=[])
    os.makedirs(host.unit_dir)
    for name, text in (("cri-docker.socket", cri_dockerd.socket_unit(p)),
                       ("cri-docker.service", cri_dockerd.service_unit(p))):
        with open(os.path.join(host.unit_dir, name), "w") as f:
            f.write(text)
    os.makedirs(os.path.dirname(host.dest))
    with open(host.dest, "wb") as f:
        f.write(PAYLOAD[:100])  # the binary half written... by a rename it cannot be; an older one, then
    kind, result = host.run(args)
    assert kind == "Exit" and result["binary_changed"] and result["restarted"], result
    with open(host.dest, "rb") as f:
        assert f.read() == PAYLOAD


def test_a_stopped_service_is_started(host, web):
    url = install(host, web)
    host.active = False
    kind, result = host.run(host.args(url, pin(PAYLOAD)))
    assert kind == "Exit" and result["changed"] and result["restarted"] and not result["binary_changed"]
    assert web.hits == []
    assert ("restart", "cri-docker.service") in host.calls


def test_a_service_restarting_after_a_crash_is_restarted(host, web):
    url = install(host, web)
    host.answers[("is-active", "cri-docker.service")] = "is-active-failed"  # "activating": Restart=always at work
    kind, result = host.run(host.args(url, pin(PAYLOAD)))
    assert kind == "Exit" and result["restarted"], result


def test_units_disabled_by_hand_are_enabled_without_a_restart(host, web):
    url = install(host, web)
    host.enabled = False
    kind, result = host.run(host.args(url, pin(PAYLOAD)))
    assert kind == "Exit" and result["changed"] and not result["restarted"], result
    assert host.calls == READS + [("enable", "cri-docker.socket", "cri-docker.service")]
    assert host.enabled


def test_a_changed_flag_rewrites_the_service_unit_only(host, web):
    url = install(host, web)
    kind, result = host.run(host.args(url, pin(PAYLOAD), pod_infra_image="pause:3.10"), diff=True)
    assert kind == "Exit" and result["units_changed"] == ["cri-docker.service"] and not result["binary_changed"]
    assert ("restart", "cri-docker.service") in host.calls
    service_diff = [d for d in result["diff"] if d["after_header"].endswith("cri-docker.service")][0]
    assert "--pod-infra-container-image=pause:3.10" in service_diff["after"]
    assert "--pod-infra-container-image" not in service_diff["before"]


def test_a_new_socket_path_is_taken_on_the_rerun(host, web):
    url = install(host, web)
    new_sock = host.sock + "2"
    kind, result = host.run(host.args(url, pin(PAYLOAD), socket=new_sock))
    assert kind == "Exit" and result["units_changed"] == ["cri-docker.socket"] and result["restarted"], result
    assert "ListenStream=%s\n" % new_sock in host.unit("cri-docker.socket")


# --- check mode ---

def test_check_mode_on_a_fresh_host_downloads_and_writes_nothing(host, web):
    url = web.put("cri-dockerd", PAYLOAD)
    kind, result = host.run(host.args(url, pin(PAYLOAD)), check=True, diff=True)
    assert kind == "Exit" and result["changed"] and result["binary_changed"], result
    assert result["units_changed"] == ["cri-docker.socket", "cri-docker.service"]
    assert web.hits == [] and not os.path.exists(host.dest) and not os.path.exists(host.unit_dir)
    assert host.calls == READS
    assert result["diff"][-1]["after"] == "sha256 of the binary in the download pinned as %s\n" % pin(PAYLOAD)[7:]


def test_check_mode_with_a_new_pin_says_so(host, web):
    url = install(host, web)
    kind, result = host.run(host.args(url, pin(OTHER_PAYLOAD)), check=True)
    assert kind == "Exit" and result["binary_changed"] and result["restarted"]
    with open(host.dest, "rb") as f:
        assert f.read() == PAYLOAD
    assert host.calls == READS_ENABLED


def test_check_mode_on_disabled_units_changes_nothing(host, web):
    url = install(host, web)
    host.enabled = False
    kind, result = host.run(host.args(url, pin(PAYLOAD)), check=True)
    assert kind == "Exit" and result["changed"] and not host.enabled
    assert host.calls == READS


# --- a start that fails: what the run wrote comes back ---

def test_a_first_install_that_does_not_start_is_taken_away(host, web):
    host.answers[("restart", "cri-docker.service")] = "restart-not-ready"
    url = web.put("cri-dockerd", PAYLOAD)
    kind, result = host.run(host.args(url, pin(PAYLOAD)))
    assert kind == "Fail"
    assert result["rc"] == 1
    assert "the service did not take the steps required by its unit configuration" in result["msg"]
    assert "cri-dockerd's units disabled and removed (there was none before)" in result["msg"]
    assert "ROLLBACK INCOMPLETE" not in result["msg"]
    nothing_installed(host)
    assert not os.path.exists(host.sock)
    assert ("disable", "--now", "cri-docker.socket", "cri-docker.service") in host.calls
    assert host.calls[-1] == ("daemon-reload",)
    assert not host.enabled


def test_an_upgrade_that_does_not_start_puts_the_old_binary_back_and_restarts_it(host, web):
    install(host, web)
    old_units = host.unit("cri-docker.service")
    host.answers[("restart", "cri-docker.service")] = ["restart-not-ready", "restart-ok"]
    url = web.put("new", OTHER_PAYLOAD)
    kind, result = host.run(host.args(url, pin(OTHER_PAYLOAD)))
    assert kind == "Fail" and result["msg"].endswith(
        "put back as they were: %s; cri-docker.service restarted on them" % host.dest), result
    with open(host.dest, "rb") as f:
        assert f.read() == PAYLOAD
    assert host.unit("cri-docker.service") == old_units
    assert host.calls.count(("restart", "cri-docker.service")) == 2
    assert ("reset-failed", "cri-docker.service") in host.calls
    assert ("disable", "--now", "cri-docker.socket", "cri-docker.service") not in host.calls
    with open(host.state_file) as f:
        assert json.load(f)["checksum"] == pin(PAYLOAD)[7:]


def test_a_rollback_whose_restart_fails_says_so(host, web):
    install(host, web)
    host.answers[("restart", "cri-docker.service")] = "restart-not-ready"
    kind, result = host.run(host.args(web.put("new", OTHER_PAYLOAD), pin(OTHER_PAYLOAD)))
    assert kind == "Fail"
    assert "ROLLBACK INCOMPLETE: cri-docker.service did not start on them either (rc 1)" in result["msg"]


def test_an_upgrade_of_a_stopped_service_that_does_not_start_leaves_it_stopped(host, web):
    install(host, web)
    host.active = False
    host.answers[("restart", "cri-docker.service")] = "restart-not-ready"
    kind, result = host.run(host.args(web.put("new", OTHER_PAYLOAD), pin(OTHER_PAYLOAD)))
    assert kind == "Fail" and result["msg"].endswith("cri-docker.service stopped, as it was before"), result
    assert host.calls[-1] == ("stop", "cri-docker.service")
    with open(host.dest, "rb") as f:
        assert f.read() == PAYLOAD


def test_a_write_that_fails_midway_is_rolled_back(host, web, monkeypatch):
    install(host, web)
    real_write = cri_dockerd.write

    def failing_write(path, content, mode, dir_mode=0o755):
        if path == host.dest:
            raise cri_dockerd.CriDockerdError("could not write %s: [Errno 28] No space left on device" % path)
        real_write(path, content, mode, dir_mode)
    monkeypatch.setattr(cri_dockerd, "write", failing_write)
    url = web.put("new", OTHER_PAYLOAD)
    kind, result = host.run(host.args(url, pin(OTHER_PAYLOAD), pod_infra_image="pause:3.10"))
    assert kind == "Fail" and result["msg"].startswith("could not write %s: [Errno 28]" % host.dest), result
    assert "pause:3.10" not in host.unit("cri-docker.service")
    with open(host.dest, "rb") as f:
        assert f.read() == PAYLOAD


def test_a_restore_that_cannot_write_says_so(host, web, monkeypatch):
    install(host, web)
    host.answers[("restart", "cri-docker.service")] = ["restart-not-ready", "restart-ok"]
    real_write = cri_dockerd.write
    writes = []

    def write_once(path, content, mode, dir_mode=0o755):
        writes.append(path)
        if path == host.dest and writes.count(path) == 2:
            raise cri_dockerd.CriDockerdError("could not write %s: [Errno 30] Read-only file system" % path)
        real_write(path, content, mode, dir_mode)
    monkeypatch.setattr(cri_dockerd, "write", write_once)
    kind, result = host.run(host.args(web.put("new", OTHER_PAYLOAD), pin(OTHER_PAYLOAD)))
    assert kind == "Fail"
    assert "ROLLBACK INCOMPLETE: could not write %s: [Errno 30] Read-only file system" % host.dest in result["msg"]


def test_a_restart_that_fails_before_starting_fails_with_systemds_words(host, web):
    host.answers[("restart", "cri-docker.service")] = "restart-no-docker"
    kind, result = host.run(host.args(web.put("cri-dockerd", PAYLOAD), pin(PAYLOAD)))
    assert kind == "Fail" and "Unit docker.service not found" in result["msg"] and result["rc"] == 5
