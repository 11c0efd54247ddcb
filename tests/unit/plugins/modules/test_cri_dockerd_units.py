"""cri_dockerd's unit files, whole, and its small parsers: the units are what systemd runs, so every line is
asserted (the lines' meaning is in docs/modules.md#cri_dockerd; the socket's behaviour was seen in the recording
container, tests/unit/fixtures/cri_dockerd/README.md)."""
import os

import pytest

from ansible_collections.dockerops.host.plugins.modules import cri_dockerd

FIX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fixtures", "cri_dockerd")


def recorded(name):
    def read(ext):
        with open(os.path.join(FIX, "%s.%s" % (name, ext))) as f:
            return f.read()
    return int(read("rc")), read("stdout"), read("stderr")

DEFAULTS = dict(dest="/usr/local/bin/cri-dockerd", socket="/run/cri-dockerd.sock", socket_group="docker",
                pod_infra_image="", network_plugin="cni", extra_args=[])

SERVICE = """# Written by dockerops.host (cri_dockerd); changes here are overwritten.
[Unit]
Description=CRI for Docker Engine (cri-dockerd)
After=network-online.target docker.service cri-docker.socket
Wants=network-online.target
Requires=cri-docker.socket
StartLimitBurst=3
StartLimitIntervalSec=60

[Service]
Type=notify
ExecStart=/usr/local/bin/cri-dockerd --container-runtime-endpoint fd:// --network-plugin=cni
ExecReload=/bin/kill -s HUP $MAINPID
TimeoutStartSec=120
Restart=always
RestartSec=2
LimitNOFILE=infinity
LimitNPROC=infinity
TasksMax=infinity
Delegate=yes
KillMode=process

[Install]
WantedBy=multi-user.target
"""

SOCKET = """# Written by dockerops.host (cri_dockerd); changes here are overwritten.
[Unit]
Description=CRI for Docker Engine (cri-dockerd) socket
PartOf=cri-docker.service

[Socket]
ListenStream=/run/cri-dockerd.sock
SocketMode=0660
SocketUser=root
SocketGroup=docker
RemoveOnStop=yes

[Install]
WantedBy=sockets.target
"""


def test_the_service_unit_whole():
    assert cri_dockerd.service_unit(DEFAULTS) == SERVICE


def test_the_socket_unit_whole():
    assert cri_dockerd.socket_unit(DEFAULTS) == SOCKET


def test_every_option_in_the_service_unit():
    p = dict(DEFAULTS, dest="/opt/cri/bin/cri-dockerd", network_plugin="kubenet", pod_infra_image="reg.lab/pause:3.10",
             extra_args=["--log-level=debug", "--ipv6-dual-stack"])
    line = [x for x in cri_dockerd.service_unit(p).splitlines() if x.startswith("ExecStart=")]
    assert line == ["ExecStart=/opt/cri/bin/cri-dockerd --container-runtime-endpoint fd:// --network-plugin=kubenet "
                    "--pod-infra-container-image=reg.lab/pause:3.10 --log-level=debug --ipv6-dual-stack"]


def test_the_socket_unit_takes_the_path_and_group():
    text = cri_dockerd.socket_unit(dict(DEFAULTS, socket="/run/k8s/cri.sock", socket_group="kube"))
    assert "ListenStream=/run/k8s/cri.sock\n" in text and "SocketGroup=kube\n" in text


def test_units_are_recognised_as_the_modules_by_their_first_line():
    assert cri_dockerd.ours(SERVICE.encode())
    assert not cri_dockerd.ours(SERVICE.replace("# Written", "#Written").encode())
    assert not cri_dockerd.ours(("[Unit]\n" + SERVICE).encode())
    assert not cri_dockerd.ours(None)


@pytest.mark.parametrize("url,secrets", [
    ("https://deploy:s3cr3t@mirror.lab/x.tgz", {"deploy", "s3cr3t"}),
    ("https://ghp_TOKEN@mirror.lab/x.tgz", {"ghp_TOKEN"}),
    ("https://a:b:c@mirror.lab/x.tgz", {"b:c"}),
    ("https://u@p@mirror.lab/x.tgz", {"u@p"}),
    ("https://mirror.lab/x.tgz", set()),
    ("https://mirror.lab/a@b.tgz", set()),
    ("https://ab:cd@mirror.lab/", set()),  # two characters or fewer: not masked (Ansible would mask them everywhere)
    ("https://deploy:s3cr3t@[mirror/x.tgz", {"deploy", "s3cr3t"}),  # malformed: urlsplit raises
])
def test_url_secrets(url, secrets):
    assert cri_dockerd.url_secrets(url) == secrets


@pytest.mark.parametrize("checksum,hexdigest", [
    ("sha256:" + "ab" * 32, "ab" * 32),
    (" sha256:" + "AB" * 32 + "\n", "ab" * 32),
])
def test_want_sha256(checksum, hexdigest):
    assert cri_dockerd.want_sha256(checksum) == hexdigest


class FakeModule(object):
    def __init__(self, answer):
        self.answer, self.argv = answer, None

    def get_bin_path(self, name, required=False):
        return "/usr/bin/" + name

    def run_command(self, argv):
        self.argv = argv
        return self.answer


def test_systemctl_show_is_read_into_properties():
    module = FakeModule((0, "FragmentPath=/usr/lib/systemd/system/cri-docker.service\nDropInPaths=\n", ""))
    show = cri_dockerd.Systemd(module).show("cri-docker.service", "FragmentPath", "DropInPaths")
    assert module.argv == ["/usr/bin/systemctl", "show", "-p", "FragmentPath", "-p", "DropInPaths",
                           "cri-docker.service"]
    assert show == {"FragmentPath": "/usr/lib/systemd/system/cri-docker.service", "DropInPaths": ""}


@pytest.mark.parametrize("recording,call,words", [
    ("show-no-systemd", lambda systemd: systemd.show("cri-docker.service", "FragmentPath", "DropInPaths"),
     "systemctl show cri-docker.service failed (rc 1): System has not been booted with systemd as init system (PID 1). "
     "Can't operate.\nFailed to connect to system scope bus via local transport: Host is down"),
    ("restart-no-docker", lambda systemd: systemd.must("restart", "cri-docker.service"),
     "systemctl restart cri-docker.service failed (rc 5): Failed to restart cri-docker.service: Unit docker.service "
     "not found."),
])
def test_a_failing_systemctl_is_an_error_with_its_rc_and_words(recording, call, words):
    rc, out, err = recorded(recording)
    with pytest.raises(cri_dockerd.CriDockerdError) as e:
        call(cri_dockerd.Systemd(FakeModule((rc, out, err))))
    assert str(e.value) == words
    assert (e.value.rc, e.value.stdout, e.value.stderr) == (rc, out, err)
