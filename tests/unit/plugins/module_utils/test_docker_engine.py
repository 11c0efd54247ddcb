"""module_utils._docker_engine on recorded docker CLI outputs only (tests/unit/fixtures/docker_info/README.md)."""
import json
import os

import pytest

from ansible_collections.dockerops.host.plugins.module_utils import _docker_engine

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "docker_info")
INFO_ARGV = ["/usr/bin/docker", "info", "--format", "{{json .}}"]


def recorded(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return f.read()


def recorded_run(name):
    """(rc, stdout, stderr) of a run recorded as name.rc, name.stdout and name.stderr."""
    return int(recorded(name + ".rc")), recorded(name + ".stdout"), recorded(name + ".stderr")


# The 20.10 CLI with no engine exits 0 with only ServerErrors on stdout, nothing on stderr (recorded).
ENGINE_DOWN_20_10 = recorded_run("engine-down-20.10-cli")


class FakeModule(object):
    """get_bin_path finds what is in bins; run_command answers every command with answer, and records it."""

    def __init__(self, answer=None, bins=("docker", "dockerd", "timeout")):
        self.answer = answer
        self.bins = bins
        self.calls = []

    def get_bin_path(self, name, required=False, opt_dirs=None):
        return "/usr/bin/" + name if name in self.bins else None

    def run_command(self, argv, **kw):
        self.calls.append((argv, kw))
        return self.answer


@pytest.mark.parametrize("name", ["engine-20.10-full", "overlay2-28.5", "overlayfs-containerd-28.5"])
def test_an_answering_engine_gives_its_info(name):
    m = FakeModule((0, recorded(name + ".json"), ""))
    info, why = _docker_engine.info(m)
    assert info == json.loads(recorded(name + ".json")) and why is None
    assert m.calls == [(["/usr/bin/timeout", "30"] + INFO_ARGV, {"environ_update": {"LANG": "C"}})]


def test_engine_down_with_the_20_10_cli_is_no_answer_naming_the_server_error():
    assert ENGINE_DOWN_20_10[0] == 0 and ENGINE_DOWN_20_10[2] == "", "the 20.10 CLI exits 0, stderr empty"
    info, why = _docker_engine.info(FakeModule(ENGINE_DOWN_20_10))
    assert info is None
    assert why == "Cannot connect to the Docker daemon at unix:///nonexistent.sock. Is the docker daemon running?"
    # The same CLI's output recorded against another socket.
    info, why = _docker_engine.info(FakeModule((0, recorded("engine-down-20.10.json"), "")))
    assert info is None
    assert why == "Cannot connect to the Docker daemon at unix:///tmp/d2/d.sock. Is the docker daemon running?"


def test_engine_down_with_the_28_2_cli_is_no_answer_naming_its_stderr():
    # rc 1, a zero-valued info (ServerVersion "") on stdout, the error on stderr.
    info, why = _docker_engine.info(FakeModule(recorded_run("engine-down-28.2-cli")))
    assert info is None
    assert why == "Cannot connect to the Docker daemon at unix:///tmp/nonexistent.sock. Is the docker daemon running?"


def test_an_engine_that_never_answers_times_out():
    # timeout(1) exits 124; the 28.2 CLI still printed its zero-valued info when the TERM signal came.
    m = FakeModule(recorded_run("timeout-28.2-cli"))
    assert _docker_engine.info(m) == (None, "docker info timed out after 30s")
    m = FakeModule(recorded_run("timeout-28.2-cli"))
    assert _docker_engine.info(m, timeout=5) == (None, "docker info timed out after 5s")
    assert m.calls[0][0] == ["/usr/bin/timeout", "5"] + INFO_ARGV


def test_without_the_docker_cli_nothing_runs():
    m = FakeModule(bins=("timeout",))
    assert _docker_engine.info(m) == (None, "docker CLI not found")
    assert m.calls == []


def test_without_timeout_docker_runs_alone():
    m = FakeModule((0, recorded("overlay2-20.10.json"), ""), bins=("docker",))
    info, why = _docker_engine.info(m)
    assert info["ServerVersion"] == "20.10.24+dfsg1" and why is None
    assert m.calls == [(INFO_ARGV, {"environ_update": {"LANG": "C"}})]


def test_a_given_docker_is_used():
    m = FakeModule(ENGINE_DOWN_20_10, bins=("timeout",))
    _docker_engine.info(m, "/opt/bin/docker")
    assert m.calls[0][0] == ["/usr/bin/timeout", "30", "/opt/bin/docker", "info", "--format", "{{json .}}"]


def test_dockerd_version():
    m = FakeModule((0, recorded("dockerd-version-20.10.txt"), ""))
    assert _docker_engine.dockerd_version(m) == "20.10.24+dfsg1"
    assert m.calls == [(["/usr/bin/dockerd", "--version"], {})]
    m = FakeModule(bins=("docker",))
    assert _docker_engine.dockerd_version(m) is None and m.calls == []


def test_driver_status():
    st = _docker_engine.driver_status(json.loads(recorded("devicemapper-direct-20.10.json")))
    assert st["Pool Name"] == "docker-thinpool" and st["Backing Filesystem"] == "xfs"
    assert _docker_engine.driver_status(json.loads(recorded("overlayfs-containerd-28.5.json"))) == {
        "driver-type": "io.containerd.snapshotter.v1"}
    # No engine: no info, or the 28.2 CLI's zero-valued one (DriverStatus null).
    assert _docker_engine.driver_status(None) == {}
    assert _docker_engine.driver_status(json.loads(recorded("engine-down-28.2-cli.stdout"))) == {}


# -- version_tuple: the one reading of engine versions -----------------------------------------------------------------

def recorded_versions():
    """The versions real engines reported in the recorded outputs: ServerVersion of the answering engines' infos,
    dockerd --version's, and the 28.2 CLI's own Version with no engine (its ServerVersion empty)."""
    full_20_10 = json.loads(recorded("engine-20.10-full.json"))["ServerVersion"]
    debian_28_5 = json.loads(recorded("overlay2-28.5.json"))["ServerVersion"]
    down_28_2 = json.loads(recorded("engine-down-28.2-cli.stdout"))
    dockerd_20_10 = _docker_engine._DOCKERD_VERSION.search(recorded("dockerd-version-20.10.txt")).group(1)
    return full_20_10, debian_28_5, down_28_2["ClientInfo"]["Version"], down_28_2["ServerVersion"], dockerd_20_10


def test_the_recorded_versions_are_what_the_tests_below_assume():
    assert recorded_versions() == ("20.10.24+dfsg1", "28.5.2+dfsg4", "28.2.2", "", "20.10.24+dfsg1")


@pytest.mark.parametrize("strict", [False, True])
def test_recorded_engine_versions_read_the_same_lenient_or_strict(strict):
    full_20_10, debian_28_5, cli_28_2, _empty, dockerd_20_10 = recorded_versions()
    assert _docker_engine.version_tuple(full_20_10, strict=strict) == (20, 10, 24)
    assert _docker_engine.version_tuple(dockerd_20_10, strict=strict) == (20, 10, 24)
    assert _docker_engine.version_tuple(debian_28_5, strict=strict) == (28, 5, 2)
    assert _docker_engine.version_tuple(cli_28_2, strict=strict) == (28, 2, 2)


# Synthetic, in the forms Docker's release tags and the distributions' packages take.
@pytest.mark.parametrize("text, expected", [
    ("26.1.5+dfsg1", (26, 1, 5)), ("29.0.0", (29, 0, 0)), ("29.0.0-rc.1", (29, 0, 0)),
    ("22.06.0-beta.0", (22, 6, 0)), ("20.10", (20, 10, 0)), ("28.5.2+dfsg1", (28, 5, 2)),
])
def test_releases_pre_releases_and_debian_suffixes(text, expected):
    assert _docker_engine.version_tuple(text) == expected
    assert _docker_engine.version_tuple(text, strict=True) == expected


@pytest.mark.parametrize("text, expected", [
    ("5:28.5.2-1~debian.12~bookworm", (28, 5, 2)), ("3:28.5.2-1.el9", (28, 5, 2)), ("26", (26, 0, 0)),
    ("28", (28, 0, 0)), ("20.10.24~3-0~debian", (20, 10, 24)), ("26.1+dfsg1", (26, 1, 0)), ("20.10~rc1", (20, 10, 0)), ("4.18.0-553.el8_10.x86_64", (4, 18, 0)),
    ("", (0, 0, 0)), (None, (0, 0, 0)), ("unknown", (0, 0, 0)),
])
def test_lenient_reads_pins_packages_and_kernels_and_no_number_as_zero(text, expected):
    assert _docker_engine.version_tuple(text) == expected


@pytest.mark.parametrize("text", ["", None, "26", "unknown", "5:28.5.2-1~debian.12~bookworm", " 28.5.2"])
def test_strict_refuses_what_does_not_start_with_major_minor_naming_it(text):
    with pytest.raises(_docker_engine.EngineVersionError) as e:
        _docker_engine.version_tuple(text, strict=True)
    assert str(e.value) == "cannot read an engine version from %r" % ("" if text is None else text)


def test_versions_compare_as_numbers():
    v = _docker_engine.version_tuple
    assert v("20.10.24+dfsg1") < v("23.0.0") <= v("29.0.0-rc.1") and v("9.0") < v("10.0") and v("28.10") > v("28.9.9")
