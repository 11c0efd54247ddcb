"""docker_audit_info on the Docker Engine API answers recorded on the lab host (fixtures/audit_engine/README.md):
what it reads, what it trims and redacts, gather, check mode and its failures."""
import copy
import datetime
import json
import os
import re
import socket
import ssl
import threading
import time

import pytest

from ansible_collections.dockerops.host.plugins.modules import docker_audit_info

from audit_recorded import FakeAPI, recorded
from harness import patch_exits, run_main

@pytest.fixture
def engine(monkeypatch):
    patch_exits(monkeypatch)

    class Engine(object):
        answers = recorded()
        calls = []
        clients = []

    def client(**kw):
        Engine.clients.append(kw)
        return FakeAPI(Engine.answers, Engine.calls)

    monkeypatch.setattr(docker_audit_info.docker, "APIClient", client)
    return Engine


def by_name(result):
    return dict((c["Name"], c) for c in result["containers"])


def by_tag(result):
    return dict((t, i) for i in result["images"] for t in i["RepoTags"])


def test_reads_every_container_with_sizes_and_every_image(engine):
    kind, result = run_main(docker_audit_info.main, {})
    assert kind == "Exit" and result["changed"] is False
    assert engine.clients == [dict(base_url="unix:///var/run/docker.sock", version="auto", timeout=120)]
    assert ("containers", True, True) in engine.calls
    assert sorted(by_name(result)) == ["audit-rec-limited", "audit-rec-privileged", "audit-rec-writer"]
    assert len(result["images"]) == len(engine.answers["images"]) == 6
    assert result["gathered"] == ["containers", "images"]
    # Asked in another order, said in the module's.
    assert run_main(docker_audit_info.main, {"gather": ["images", "containers"]})[1]["gathered"] == \
        ["containers", "images"]


def test_container_fields_the_checks_read(engine):
    c = by_name(run_main(docker_audit_info.main, {})[1])
    writer, priv, limited = c["audit-rec-writer"], c["audit-rec-privileged"], c["audit-rec-limited"]
    assert writer["SizeRw"] == 209715200
    # The engine leaves SizeRw out of the list for an empty writable layer: 0.
    assert priv["SizeRw"] == 0 and limited["SizeRw"] == 0
    assert priv["HostConfig"]["Privileged"] is True and writer["HostConfig"]["Privileged"] is False
    assert (priv["HostConfig"]["NetworkMode"], priv["HostConfig"]["PidMode"], priv["HostConfig"]["IpcMode"]) == \
        ("host", "host", "host")
    assert priv["HostConfig"]["RestartPolicy"] == {"MaximumRetryCount": 0, "Name": "always"}
    assert limited["HostConfig"]["Memory"] == 268435456 and limited["HostConfig"]["NanoCpus"] == 500000000
    assert limited["HostConfig"]["LogConfig"] == {"Config": {"max-file": "3", "max-size": "10m"}, "Type": "json-file"}
    assert priv["Mounts"] == [
        {"Type": "bind", "Source": "/var/run/docker.sock", "Destination": "/var/run/docker.sock", "RW": True},
        {"Type": "bind", "Source": "/etc", "Destination": "/host-etc", "RW": True}]
    assert priv["State"] == {"Status": "created", "Running": False, "StartedAt": "0001-01-01T00:00:00Z",
                             "RestartCount": 0}
    assert writer["State"]["Running"] is True
    assert writer["Image"] == "dockerops-lab/debian:bookworm"
    assert writer["ImageID"] == engine.answers["inspect_container"][writer["Id"]]["Image"]
    assert writer["Created"] == engine.answers["inspect_container"][writer["Id"]]["Created"]
    assert set(writer) == {"Id", "Name", "Image", "ImageID", "Created", "SizeRw", "State", "HostConfig", "Mounts"}
    assert set(writer["HostConfig"]) == set(docker_audit_info._HOST_CONFIG) | {"LogConfig"}


def test_no_environment_command_or_labels_are_returned(engine):
    priv = [c for c in engine.answers["inspect_container"].values() if c["Name"] == "/audit-rec-privileged"][0]
    assert "SECRET_TOKEN=do-not-leak" in priv["Config"]["Env"]  # the recorded answer has it
    result = run_main(docker_audit_info.main, {})[1]
    text = json.dumps(result)
    assert "do-not-leak" not in text and "SECRET_TOKEN" not in text
    for c in result["containers"]:
        assert "Config" not in c and "Labels" not in c


def test_image_fields_the_checks_read(engine):
    images = by_tag(run_main(docker_audit_info.main, {})[1])
    unchained = images["audit-rec-unchained:40"]
    assert unchained["Layers"] == 41
    assert len(unchained["RepoTags"]) == 6
    assert unchained["Healthcheck"] is None
    raw = engine.answers["history"][unchained["Id"]]
    assert [(h["Created"], h["CreatedBy"], h["Size"]) for h in unchained["History"]] == \
        [(h["Created"], h["CreatedBy"], h["Size"]) for h in raw]
    assert unchained["History"][-1]["Comment"] == "Imported from -"
    assert images["audit-rec-good:1"]["Healthcheck"]["Test"] == ["CMD-SHELL", "test -f /opt/hello.txt"]
    assert images["audit-rec-committed:message"]["History"][0]["Comment"] == "forensics snapshot"
    assert images["dockerops-lab/debian:bookworm"]["Layers"] == 1
    assert unchained["Created"] == engine.answers["inspect_image"][unchained["Id"]]["Created"]
    assert unchained["Size"] == engine.answers["inspect_image"][unchained["Id"]]["Size"]
    assert set(unchained) == {"Id", "RepoTags", "Created", "Size", "Layers", "Healthcheck", "History"}


def test_daemon_trimmed(engine):
    daemon = run_main(docker_audit_info.main, {})[1]["daemon"]
    info, version = daemon["info"], daemon["version"]
    assert info["ServerVersion"] == "20.10.24+dfsg1"
    assert info["SystemTime"] == engine.answers["info"]["SystemTime"]
    assert info["LoggingDriver"] == "json-file" and info["LiveRestoreEnabled"] is False
    assert info["RegistryConfig"] == {"InsecureRegistryCIDRs": ["127.0.0.0/8"], "Mirrors": []}
    assert set(info) == set(docker_audit_info._INFO) | {"RegistryConfig"}
    assert "HttpProxy" not in info and "Name" not in info
    assert version["Version"] == "20.10.24+dfsg1" and version["ApiVersion"] == "1.41"
    assert {"Name": "containerd", "Version": "1.6.20~ds1"} in version["Components"]


def test_gather_images_only_does_not_list_containers(engine):
    result = run_main(docker_audit_info.main, {"gather": ["images"]})[1]
    assert result["containers"] == [] and len(result["images"]) == 6
    assert result["gathered"] == ["images"]
    assert not [c for c in engine.calls if c[0] in ("containers", "inspect_container")]
    assert result["daemon"]["info"]["ServerVersion"] == "20.10.24+dfsg1"


def test_gather_containers_only_does_not_list_images(engine):
    result = run_main(docker_audit_info.main, {"gather": ["containers"]})[1]
    assert result["images"] == [] and len(result["containers"]) == 3
    assert result["gathered"] == ["containers"]
    assert not [c for c in engine.calls if c[0] in ("images", "inspect_image", "history")]


def test_check_mode_reads_the_same(engine):
    normal = run_main(docker_audit_info.main, {})[1]
    checked = run_main(docker_audit_info.main, {"_ansible_check_mode": True})[1]
    assert checked["changed"] is False
    assert checked["containers"] == normal["containers"] and checked["images"] == normal["images"]


def test_options_reach_the_client(engine):
    run_main(docker_audit_info.main, {"docker_host": "tcp://127.0.0.1:2375", "timeout": 7})
    assert engine.clients == [dict(base_url="tcp://127.0.0.1:2375", version="auto", timeout=7)]


def test_unknown_gather_is_refused(engine):
    kind, result = run_main(docker_audit_info.main, {"gather": ["volumes"]})
    assert kind == "Fail" and "volumes" in result["msg"]


def test_no_sdk_names_the_package(monkeypatch):
    patch_exits(monkeypatch)
    monkeypatch.setattr(docker_audit_info, "docker", None)
    monkeypatch.setattr(docker_audit_info, "DOCKER_IMPORT_ERROR", "Traceback: No module named 'docker'")
    kind, result = run_main(docker_audit_info.main, {})
    assert kind == "Fail"
    assert "python3-docker" in result["msg"]
    assert result["exception"] == "Traceback: No module named 'docker'"


def test_engine_not_answering_names_the_address_and_cause(monkeypatch):
    patch_exits(monkeypatch)
    from docker.errors import DockerException

    def client(**kw):
        raise DockerException("Error while fetching server API version: no such file")

    monkeypatch.setattr(docker_audit_info.docker, "APIClient", client)
    kind, result = run_main(docker_audit_info.main, {"docker_host": "unix:///nowhere.sock"})
    assert kind == "Fail"
    assert result["msg"] == ("Could not read the Docker engine at unix:///nowhere.sock: "
                             "Error while fetching server API version: no such file")


def test_connection_lost_midway_fails_with_the_cause(engine):
    def broken(self, all=False, size=False):
        raise IOError("Connection aborted")

    FakeAPI.containers, saved = broken, FakeAPI.containers
    try:
        kind, result = run_main(docker_audit_info.main, {})
    finally:
        FakeAPI.containers = saved
    assert kind == "Fail" and "Connection aborted" in result["msg"]


@pytest.mark.parametrize("created_by, expected", [
    # The legacy builder's build-argument prefix: names kept, values redacted, the command kept.
    ("|2 TOKEN=s3cret USER=bob /bin/sh -c make install",
     "|2 TOKEN=<redacted> USER=<redacted> /bin/sh -c make install"),
    ("|1 A=1 /bin/sh -c echo A=2", "|1 A=<redacted> /bin/sh -c echo A=2"),
    ("/bin/sh -c apt-get update", "/bin/sh -c apt-get update"),
    ("/bin/sh -c #(nop)  ENV PASSWORD=hunter2 MODE=prod", "/bin/sh -c #(nop)  ENV PASSWORD=<redacted> MODE=<redacted>"),
    ("/bin/sh -c #(nop) ENV KEY=v", "/bin/sh -c #(nop) ENV KEY=<redacted>"),
    # Synthetic: BuildKit's form of ENV.
    ("ENV API_KEY=abc", "ENV API_KEY=<redacted>"),
    ("ENV PATH /usr/bin", "ENV PATH=<redacted>"),
    ("RUN /bin/sh -c echo ENV X=1 # buildkit", "RUN /bin/sh -c echo ENV X=1 # buildkit"),
    ("/bin/sh -c #(nop)  CMD [\"sleep\"]", "/bin/sh -c #(nop)  CMD [\"sleep\"]"),
    # Synthetic: BuildKit's build-argument prefix after RUN, and ARG defaults (BuildKit's and the legacy builder's).
    ("RUN |1 TOKEN=secret /bin/sh -c echo hi # buildkit", "RUN |1 TOKEN=<redacted> /bin/sh -c echo hi # buildkit"),
    ("RUN |2 A=x B=y /bin/sh -c make # buildkit", "RUN |2 A=<redacted> B=<redacted> /bin/sh -c make # buildkit"),
    ("ARG TOKEN=secret", "ARG TOKEN=<redacted>"),
    ("ARG TOKEN", "ARG TOKEN"),
    ("ARG A=1 B", "ARG A=<redacted> B"),
    ("/bin/sh -c #(nop)  ARG TOKEN=secret", "/bin/sh -c #(nop)  ARG TOKEN=<redacted>"),
    ("RUN /bin/sh -c echo ARG X=1 # buildkit", "RUN /bin/sh -c echo ARG X=1 # buildkit"),
    ("", ""),
    (None, ""),
])
def test_redact_created_by(created_by, expected):
    assert docker_audit_info.redact_created_by(created_by) == expected


def test_history_values_are_redacted_in_the_result(engine):
    answers = copy.deepcopy(engine.answers)
    iid = [i["Id"] for i in answers["images"] if "audit-rec-good:1" in i["RepoTags"]][0]
    answers["history"][iid][0]["CreatedBy"] = "|1 TOKEN=s3cret /bin/sh -c make"
    engine.answers = answers
    images = by_tag(run_main(docker_audit_info.main, {})[1])
    assert images["audit-rec-good:1"]["History"][0]["CreatedBy"] == "|1 TOKEN=<redacted> /bin/sh -c make"


def test_log_config_keeps_only_type_and_rotation(engine):
    # Synthetic: log options holding secrets (splunk, logentries, loki) on a recorded container's inspect data.
    answers = copy.deepcopy(engine.answers)
    cid = [c["Id"] for c in answers["containers"] if "/audit-rec-limited" in c["Names"]][0]
    answers["inspect_container"][cid]["HostConfig"]["LogConfig"]["Config"].update({
        "splunk-token": "tok-secret", "logentries-token": "le-secret",
        "loki-url": "https://user:pass@loki.example/loki/api/v1/push"})
    engine.answers = answers
    result = run_main(docker_audit_info.main, {})[1]
    assert by_name(result)["audit-rec-limited"]["HostConfig"]["LogConfig"] == \
        {"Type": "json-file", "Config": {"max-size": "10m", "max-file": "3"}}
    assert by_name(result)["audit-rec-writer"]["HostConfig"]["LogConfig"] == {"Type": "json-file", "Config": {}}
    assert "secret" not in json.dumps(result) and "user:pass" not in json.dumps(result)


def test_buildkit_build_args_and_arg_defaults_are_redacted_in_the_result(engine):
    # Synthetic: BuildKit history entries on a recorded image.
    answers = copy.deepcopy(engine.answers)
    iid = [i["Id"] for i in answers["images"] if "audit-rec-good:1" in i["RepoTags"]][0]
    answers["history"][iid][0]["CreatedBy"] = "RUN |1 TOKEN=secret /bin/sh -c echo hi # buildkit"
    answers["history"][iid][1]["CreatedBy"] = "ARG TOKEN=secret"
    engine.answers = answers
    history = by_tag(run_main(docker_audit_info.main, {})[1])["audit-rec-good:1"]["History"]
    assert history[0]["CreatedBy"] == "RUN |1 TOKEN=<redacted> /bin/sh -c echo hi # buildkit"
    assert history[1]["CreatedBy"] == "ARG TOKEN=<redacted>"


def test_objects_removed_midway_are_skipped_and_counted(engine):
    # Synthetic: the engine's 404 for a container and an image removed after the list (docker.errors.NotFound).
    answers = copy.deepcopy(engine.answers)
    gone_c = [c["Id"] for c in answers["containers"] if "/audit-rec-writer" in c["Names"]][0]
    gone_i = [i["Id"] for i in answers["images"] if "audit-rec-good:1" in i["RepoTags"]][0]
    del answers["inspect_container"][gone_c]
    del answers["history"][gone_i]
    engine.answers = answers
    inspect, history = FakeAPI.inspect_container, FakeAPI.history

    def missing(method):
        def call(self, oid):
            try:
                return method(self, oid)
            except KeyError:
                raise docker_audit_info.docker.errors.NotFound("404 Client Error: Not Found (%s)" % oid)
        return call

    FakeAPI.inspect_container, FakeAPI.history = missing(inspect), missing(history)
    try:
        kind, result = run_main(docker_audit_info.main, {})
        containers_only = run_main(docker_audit_info.main, {"gather": ["containers"]})[1]
    finally:
        FakeAPI.inspect_container, FakeAPI.history = inspect, history
    assert kind == "Exit"
    assert result["skipped"] == {"containers": 1, "images": 1}
    assert sorted(by_name(result)) == ["audit-rec-limited", "audit-rec-privileged"]
    assert "audit-rec-good:1" not in by_tag(result) and len(result["images"]) == 5
    assert containers_only["skipped"] == {"containers": 1, "images": 0}


# The mirror probe: the module's real client (Ansible's open_url) against local sockets that replay the answers
# recorded from a real registry and from web servers that are not one (fixtures/audit_mirrors/README.md).
MIRRORS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fixtures", "audit_mirrors")


class Replay(object):
    """A local server that answers every connection with one recorded answer (None: accept and stay silent), and
    keeps what each request sent. location: the recorded Location header's value replaced by this one (a redirect
    to another of the test's servers); tls: (certificate file, key file) to serve HTTPS with."""

    def __init__(self, recording, location=None, tls=None):
        self.answer = None
        if recording:
            with open(os.path.join(MIRRORS, recording), "rb") as f:
                self.answer = f.read()
        if location:
            self.answer = re.sub(b"\r\nLocation: [^\r]*\r\n", b"\r\nLocation: " + location.encode() + b"\r\n",
                                 self.answer)
        self.requests, self.sock = [], socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = "%s://127.0.0.1:%d/" % ("https" if tls else "http", self.sock.getsockname()[1])
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.sock = context.wrap_socket(self.sock, server_side=True)
        self.thread = threading.Thread(target=self.serve)
        self.thread.daemon = True
        self.thread.start()

    def serve(self):
        while True:
            try:
                conn, dummy = self.sock.accept()
            except ssl.SSLError:
                continue  # the client refused the certificate
            except OSError:
                return
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                request += chunk
            self.requests.append(request.decode("latin-1"))
            if self.answer is None:
                time.sleep(3)
            else:
                conn.sendall(self.answer)
            conn.close()

    def close(self):
        self.sock.close()


@pytest.fixture
def replay():
    servers = []

    def start(recording, **kw):
        servers.append(Replay(recording, **kw))
        return servers[-1]

    yield start
    for s in servers:
        s.close()


def closed_port_url():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return "http://127.0.0.1:%d/" % port


def test_probe_a_registry_asking_for_credentials_answers(replay):
    server = replay("registry-2.8.3-auth-v2.http")
    assert docker_audit_info.probe_mirror(server.url, 5) == dict(
        url=server.url, answers=True, status=401, api_version="registry/2.0", error=None)
    request = server.requests[0]
    assert request.startswith("GET /v2/ HTTP/1.1\r\n")
    assert "User-Agent: dockerops.host docker_audit_info\r\n" in request


def test_probe_an_open_registry_answers(replay):
    server = replay("registry-2.8.3-noauth-v2.http")
    assert docker_audit_info.probe_mirror(server.url.rstrip("/"), 5) == dict(
        url=server.url.rstrip("/"), answers=True, status=200, api_version="registry/2.0", error=None)
    assert server.requests[0].startswith("GET /v2/ HTTP/1.1\r\n")


def test_probe_a_web_server_that_is_not_a_registry(replay):
    listing = replay("python3.11-http.server-dir-v2.http")
    assert docker_audit_info.probe_mirror(listing.url, 5) == dict(
        url=listing.url, answers=False, status=200, api_version=None,
        error="HTTP 200 without the Docker-Distribution-Api-Version header: not a registry's /v2/")
    missing = replay("python3.13-http.server-v2.http")
    assert docker_audit_info.probe_mirror(missing.url, 5) == dict(
        url=missing.url, answers=False, status=404, api_version=None, error="HTTP 404")


def test_probe_a_refused_connection_names_the_cause():
    url = closed_port_url()
    result = docker_audit_info.probe_mirror(url, 5)
    assert (result["url"], result["answers"], result["status"], result["api_version"]) == (url, False, None, None)
    assert result["error"] == "connection failed: [Errno 111] Connection refused"


def test_probe_a_silent_mirror_times_out(replay):
    server = replay(None)
    started = time.time()
    result = docker_audit_info.probe_mirror(server.url, 1)
    assert time.time() - started < 8  # the default timeout (10 s) would be longer; loose for a loaded lab
    assert result == dict(url=server.url, answers=False, status=None, api_version=None, error="no answer within 1 s")


def test_probe_sends_no_credentials_and_returns_none(replay):
    server = replay("registry-2.8.3-auth-v2.http")
    port = server.url.split(":")[2].rstrip("/")
    result = docker_audit_info.probe_mirror("http://puller:s3cret-pw@127.0.0.1:%s/" % port, 5)
    assert result["url"] == "http://<redacted>@127.0.0.1:%s/" % port and result["answers"] is True
    assert "s3cret" not in json.dumps(result)
    assert "s3cret" not in server.requests[0] and "puller" not in server.requests[0]
    assert "Authorization" not in server.requests[0]


def test_judge_answer():
    assert docker_audit_info.judge_answer(200, "registry/2.0") == (True, None)
    assert docker_audit_info.judge_answer(401, "registry/2.0") == (True, None)
    assert docker_audit_info.judge_answer(403, "registry/2.0") == (
        False, "HTTP 403 (Docker-Distribution-Api-Version registry/2.0)")
    assert docker_audit_info.judge_answer(401, None) == (
        False, "HTTP 401 without the Docker-Distribution-Api-Version header: not a registry's /v2/")
    assert docker_audit_info.judge_answer(502, None) == (False, "HTTP 502")


def test_gather_mirrors_probes_each_mirror_of_docker_info(engine, replay):
    # The recorded docker info, its RegistryConfig.Mirrors (empty on the lab host) set to this test's servers, in
    # the form dockerd lists them (a trailing slash).
    up, web, down = replay("registry-2.8.3-noauth-v2.http"), replay("python3.13-http.server-v2.http"), closed_port_url()
    answers = copy.deepcopy(engine.answers)
    answers["info"]["RegistryConfig"]["Mirrors"] = [up.url, web.url, down]
    engine.answers = answers
    kind, result = run_main(docker_audit_info.main, {"gather": ["mirrors"], "probe_timeout": 3})
    assert kind == "Exit" and result["changed"] is False
    assert result["gathered"] == ["mirrors"] and result["containers"] == [] and result["images"] == []
    assert [(m["url"], m["answers"], m["status"]) for m in result["mirrors"]] == \
        [(up.url, True, 200), (web.url, False, 404), (down, False, None)]
    assert result["daemon"]["info"]["RegistryConfig"]["Mirrors"] == [up.url, web.url, down]
    # Not asked: nothing probed.
    engine.answers["info"]["RegistryConfig"]["Mirrors"] = [down]
    assert run_main(docker_audit_info.main, {})[1]["mirrors"] == []
    assert len(up.requests) == len(web.requests) == 1


def self_signed(tmp_path):
    """A key and a self-signed certificate for 127.0.0.1 (no CA the host trusts signed it), made with cryptography,
    which ansible-core requires."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    import ipaddress
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_file), str(key_file)


def test_probe_checks_the_mirrors_certificate(replay, tmp_path):
    # A registry behind a certificate the host does not trust: dockerd refuses it too (unless it is listed as an
    # insecure registry), so the probe must not take it as answering.
    server = replay("registry-2.8.3-noauth-v2.http", tls=self_signed(tmp_path))
    result = docker_audit_info.probe_mirror(server.url, 5)
    assert (result["answers"], result["status"], result["api_version"]) == (False, None, None)
    assert result["error"].startswith("connection failed: ") and "CERTIFICATE_VERIFY_FAILED" in result["error"]
    assert server.requests == []


def test_probe_follows_a_redirect_of_its_get(replay):
    # python3 -m http.server's recorded 301 (fixtures/audit_mirrors/README.md), its Location pointed at the test's
    # registry: a mirror URL that moved (for example http to https) answers where it moved to.
    registry = replay("registry-2.8.3-noauth-v2.http")
    moved = replay("python3.11-http.server-redirect.http", location=registry.url + "v2/")
    assert docker_audit_info.probe_mirror(moved.url, 5) == dict(
        url=moved.url, answers=True, status=200, api_version="registry/2.0", error=None)
    assert moved.requests[0].startswith("GET /v2/ HTTP/1.1\r\n") and registry.requests[0].startswith("GET /v2/ ")


def test_probe_goes_through_the_hosts_proxy(replay, monkeypatch):
    # The module's environment's proxy, as on a host whose outbound traffic must go through one: the mirror's own
    # address refuses connections, the proxy answers for it.
    proxy = replay("registry-2.8.3-noauth-v2.http")
    mirror = closed_port_url()
    for name in ("http_proxy", "HTTP_PROXY"):
        monkeypatch.setenv(name, proxy.url)
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.setenv(name, "")
    assert docker_audit_info.probe_mirror(mirror, 5) == dict(
        url=mirror, answers=True, status=200, api_version="registry/2.0", error=None)
    assert proxy.requests[0].startswith("GET %sv2/ HTTP/1.1\r\n" % mirror)


def test_gather_gives_each_mirror_the_probe_timeout(engine, replay):
    silent = replay(None)
    answers = copy.deepcopy(engine.answers)
    answers["info"]["RegistryConfig"]["Mirrors"] = [silent.url]
    engine.answers = answers
    started = time.time()
    kind, result = run_main(docker_audit_info.main, {"gather": ["mirrors"], "probe_timeout": 1})
    assert time.time() - started < 8  # the default timeout (10 s) would be longer; loose for a loaded lab
    assert result["mirrors"] == [dict(url=silent.url, answers=False, status=None, api_version=None,
                                      error="no answer within 1 s")]


def test_every_object_removed_midway_is_counted(engine):
    # All three containers and all six images gone between the list and their inspect or history.
    answers = copy.deepcopy(engine.answers)
    answers["inspect_container"], answers["history"] = {}, {}
    engine.answers = answers
    inspect, history = FakeAPI.inspect_container, FakeAPI.history

    def gone(self, oid):
        raise docker_audit_info.docker.errors.NotFound("404 Client Error: Not Found (%s)" % oid)

    FakeAPI.inspect_container = FakeAPI.history = gone
    try:
        kind, result = run_main(docker_audit_info.main, {})
    finally:
        FakeAPI.inspect_container, FakeAPI.history = inspect, history
    assert kind == "Exit" and result["containers"] == result["images"] == []
    assert result["skipped"] == {"containers": 3, "images": 6}


def test_probe_sends_no_netrc_credentials(replay, monkeypatch, tmp_path):
    # open_url reads ~/.netrc (or $NETRC) by default and would send its entry as an Authorization header, in clear
    # text to an http:// mirror.
    server = replay("registry-2.8.3-auth-v2.http")
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login puller password netrc-s3cret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    assert docker_audit_info.probe_mirror(server.url, 5)["answers"] is True
    assert "Authorization" not in server.requests[0] and "netrc-s3cret" not in server.requests[0]


def test_probe_checks_the_certificate_against_dockers_ca_files(replay, tmp_path):
    cert, key = self_signed(tmp_path)
    server = replay("registry-2.8.3-noauth-v2.http", tls=(cert, key))
    assert docker_audit_info.probe_mirror(server.url, 5, True, [cert])["answers"] is True
    # Not verified (an insecure registry): the self-signed certificate is taken.
    assert docker_audit_info.probe_mirror(server.url, 5, False)["answers"] is True


@pytest.mark.parametrize("netloc, config, insecure", [
    ("127.0.0.1:5000", {"InsecureRegistryCIDRs": ["127.0.0.0/8", "::1/128"]}, True),  # dockerd's default range
    ("10.1.2.3:5000", {"InsecureRegistryCIDRs": ["127.0.0.0/8", "10.0.0.0/8"]}, True),
    ("10.1.2.3:5000", {"InsecureRegistryCIDRs": ["127.0.0.0/8"]}, False),
    ("[::1]:5000", {"InsecureRegistryCIDRs": ["::1/128"]}, True),
    ("mirror.example.com", {"InsecureRegistryCIDRs": ["127.0.0.0/8"],
                            "IndexConfigs": {"mirror.example.com": {"Name": "mirror.example.com", "Secure": False}}},
     True),
    ("mirror.example.com", {"InsecureRegistryCIDRs": ["0.0.0.0/0"],
                            "IndexConfigs": {"docker.io": {"Name": "docker.io", "Secure": True}}}, False),
    ("mirror.example.com:443", {"InsecureRegistryCIDRs": ["not-a-cidr"]}, False),
])
def test_insecure_as_dockerd_says(netloc, config, insecure):
    assert docker_audit_info._insecure(netloc, config) is insecure


def test_mirror_trust_takes_dockers_ca_files(tmp_path):
    certs = tmp_path / "certs.d" / "mirror.example.com:5000"
    certs.mkdir(parents=True)
    for name in ("ca.crt", "b.crt", "client.cert", "client.key"):
        (certs / name).write_text(name)
    config = {"InsecureRegistryCIDRs": ["127.0.0.0/8"]}
    assert docker_audit_info.mirror_trust("https://u:p@mirror.example.com:5000/", config, str(tmp_path / "certs.d")) \
        == (True, [str(certs / "b.crt"), str(certs / "ca.crt")])
    assert docker_audit_info.mirror_trust("https://other.example.com/", config, str(tmp_path / "certs.d")) == (True, [])
    assert docker_audit_info.mirror_trust("http://127.0.0.1:5000/", config, str(tmp_path / "certs.d")) == (False, [])


def test_gather_checks_each_mirror_as_dockerd_would(engine, replay, tmp_path):
    cert, key = self_signed(tmp_path)
    server = replay("registry-2.8.3-noauth-v2.http", tls=(cert, key))
    answers = copy.deepcopy(engine.answers)
    answers["info"]["RegistryConfig"]["Mirrors"] = [server.url]
    engine.answers = answers
    # The recorded engine's own insecure range (127.0.0.0/8): dockerd takes this mirror's certificate unchecked.
    assert answers["info"]["RegistryConfig"]["InsecureRegistryCIDRs"] == ["127.0.0.0/8"]
    result = run_main(docker_audit_info.main, {"gather": ["mirrors"], "certs_dir": str(tmp_path / "none")})[1]
    assert result["mirrors"][0]["answers"] is True
    # Without that range: checked, refused with the system's CAs, taken with the CA in certs.d.
    answers["info"]["RegistryConfig"]["InsecureRegistryCIDRs"] = []
    result = run_main(docker_audit_info.main, {"gather": ["mirrors"], "certs_dir": str(tmp_path / "none")})[1]
    assert "CERTIFICATE_VERIFY_FAILED" in result["mirrors"][0]["error"]
    ca = tmp_path / "certs.d" / server.url.split("/")[2]
    ca.mkdir(parents=True)
    (ca / "ca.crt").write_text(open(cert).read())
    result = run_main(docker_audit_info.main, {"gather": ["mirrors"], "certs_dir": str(tmp_path / "certs.d")})[1]
    assert result["mirrors"][0]["answers"] is True
