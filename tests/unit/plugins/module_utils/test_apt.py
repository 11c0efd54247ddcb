"""module_utils/_apt.py: what apt-get update's recorded outputs say (fixtures/dpkg_query/README.md, "apt-get update
outputs", says how each was recorded), and the read retried while the lists lock is held."""
import os

import pytest

from ansible_collections.dockerops.host.plugins.module_utils import _apt

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "apt_update")


def apt_update(name):
    base = os.path.join(FIXTURES, "apt-update-" + name)
    with open(base + ".rc") as rc, open(base + ".stdout") as out, open(base + ".stderr") as err:
        return int(rc.read()), out.read(), err.read()


@pytest.mark.parametrize("case, failed", [("ok", False), ("wrong-key", True), ("missing", True), ("refused", True),
                                          ("locked", True)])
def test_read_failure_on_recorded_updates(case, failed):
    rc, out, err = apt_update(case)
    words = _apt.read_failure(rc, out, err)
    assert bool(words) is failed
    if failed:
        assert words.endswith(err.splitlines()[-1].strip())


def test_read_failure_words():
    rc, out, err = apt_update("refused")
    assert rc == 0
    assert _apt.read_failure(rc, out, err).startswith(
        "Err:1 http://127.0.0.1:9/linux/debian bookworm InRelease Could not connect to 127.0.0.1:9 (127.0.0.1). - "
        "connect (111: Connection refused) W: Failed to fetch")
    rc, out, err = apt_update("wrong-key")
    assert "NO_PUBKEY C495BFF2916AFB0D" in _apt.read_failure(rc, out, err)
    rc, out, err = apt_update("missing")
    assert _apt.read_failure(rc, out, err).startswith("Err:4 file:/srv/nowhere")
    rc, out, err = apt_update("locked")
    assert _apt.read_failure(rc, out, err) == (
        "E: Could not get lock /var/lib/apt/lists/lock. It is held by process 7 (python3) "
        "E: Unable to lock directory /var/lib/apt/lists/")
    assert _apt.read_failure(100, "Reading package lists...\n", "") == "rc 100 and no words"
    assert _apt.read_failure(None, "", "") == ""
    assert _apt.read_failure(0, "Get:1 x\n", "W: Some other warning\n") == ""


class FakeModule:
    """run_command answers with recorded outputs, in order; every call is kept."""

    def __init__(self, *names):
        self.answers = [apt_update(n) for n in names]
        self.calls = []
        self.warnings = []

    def run_command(self, argv, environ_update=None):
        self.calls.append((argv, environ_update))
        return self.answers.pop(0)

    def warn(self, msg):
        self.warnings.append(msg)


@pytest.fixture
def clock(monkeypatch):
    """_apt's time: monotonic starts at 1000 s and moves only when _apt sleeps."""
    now = [1000.0]
    monkeypatch.setattr(_apt.time, "monotonic", lambda: now[0])

    def sleep(seconds):
        now[0] += seconds
    monkeypatch.setattr(_apt.time, "sleep", sleep)


def test_update_one_reads_that_definition_alone_in_the_c_locale():
    module = FakeModule("ok")
    assert _apt.update_one(module, "/usr/bin/apt-get", "/etc/apt/sources.list.d/docker.sources", 60) == apt_update("ok")
    assert module.calls == [(["/usr/bin/apt-get", "update", "-q", "-o",
                              "Dir::Etc::sourcelist=/etc/apt/sources.list.d/docker.sources", "-o",
                              "Dir::Etc::sourceparts=-", "-o", "APT::Get::List-Cleanup=0", "-o", "Acquire::Retries=3"],
                             {"LANG": "C", "LC_ALL": "C", "LC_MESSAGES": "C"})]


def test_update_one_tries_again_while_the_lock_is_held(monkeypatch):
    slept = []
    monkeypatch.setattr(_apt.time, "sleep", slept.append)
    module = FakeModule("locked", "locked", "ok")
    assert _apt.update_one(module, "/usr/bin/apt-get", "/x.sources", 60) == apt_update("ok")
    assert len(module.calls) == 3 and slept == [5, 5]


def test_a_read_that_waited_for_the_lock_says_so_naming_the_holder(clock):
    module = FakeModule("locked", "locked", "ok")
    _apt.update_one(module, "/usr/bin/apt-get", "/x.sources", 60)
    # The recorded holder: the python3 holding the lock while it was recorded (fixtures' README).
    assert module.warnings == ["apt's lists lock was held by another process (process 7, python3): the read of "
                               "/x.sources waited 10 s for it"]
    module = FakeModule("ok")
    _apt.update_one(module, "/usr/bin/apt-get", "/x.sources", 60)
    assert module.warnings == []
    # Given up at the timeout: the failure says it (apt's words), not a warning.
    module = FakeModule("locked", "locked")
    _apt.update_one(module, "/usr/bin/apt-get", "/x.sources", 5)
    assert module.warnings == []


def test_update_one_gives_up_at_the_lock_timeout(clock):
    module = FakeModule(*(["locked"] * 5))
    assert _apt.update_one(module, "/usr/bin/apt-get", "/x.sources", 12) == apt_update("locked")
    # At 0, 5 and 10 s the lock is still held and time is left; at 15 s it is not.
    assert len(module.calls) == 4
    module = FakeModule("locked", "ok")
    assert _apt.update_one(module, "/usr/bin/apt-get", "/x.sources", 0) == apt_update("locked") and len(module.calls) == 1


def test_update_one_does_not_retry_other_failures(monkeypatch):
    monkeypatch.setattr(_apt.time, "sleep", lambda s: pytest.fail("slept on a failure that is not the lock"))
    module = FakeModule("wrong-key", "ok")
    assert _apt.update_one(module, "/usr/bin/apt-get", "/x.sources", 60) == apt_update("wrong-key") and len(module.calls) == 1
