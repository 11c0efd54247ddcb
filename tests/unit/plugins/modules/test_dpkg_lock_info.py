"""The module around module_utils._dpkg_lock, on the lock table and stat recorded in a lab container
(tests/unit/fixtures/dpkg_lock/README.md)."""
import errno
import os
import shutil
import tempfile

import pytest

from ansible_collections.dockerops.host.plugins.modules import dpkg_lock_info

from harness import patch_exits, run_main

FIX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fixtures", "dpkg_lock")


def recorded(name):
    with open(os.path.join(FIX, name)) as f:
        return f.read()


class Stat(object):
    def __init__(self, dev, ino):
        self.st_dev, self.st_ino = dev, ino


@pytest.fixture
def module(monkeypatch):
    """Run the module against a /proc holding the recorded lock table and comm, and stat's recorded answers
    (ENOENT for the two apt locks stat found absent)."""
    patch_exits(monkeypatch)
    base = tempfile.mkdtemp(prefix="dpkglockmod")
    stats = {}
    for line in recorded("stat-held.txt").splitlines():
        fields = line.split()
        if fields[0].isdigit():
            stats[fields[2]] = Stat(int(fields[0]), int(fields[1]))
    for line in recorded("proc-comm-held.txt").splitlines():
        pid, comm = line.split(" ", 1)
        os.makedirs(os.path.join(base, pid))
        with open(os.path.join(base, pid, "comm"), "w") as f:
            f.write(comm + "\n")

    def fake_stat(path):
        if path in stats:
            return stats[path]
        raise OSError(errno.ENOENT, os.strerror(errno.ENOENT), path)
    monkeypatch.setattr(dpkg_lock_info.os, "stat", fake_stat)
    monkeypatch.setattr(dpkg_lock_info, "PROC", base)

    def run(locks, args=None):
        if locks is not None:
            with open(os.path.join(base, "locks"), "w") as f:
                f.write(recorded(locks))
        return run_main(dpkg_lock_info.main, args or {})
    yield run, stats
    shutil.rmtree(base)


def test_held_lock_is_named(module):
    run, _ = module
    kind, res = run("proc-locks-held.txt")
    assert kind == "Exit" and res["changed"] is False
    assert res["locked"] is True
    assert res["holders"] == [dict(path="/var/lib/dpkg/lock-frontend", pid=10, name="python3", kind="POSIX")]
    assert res["description"] == "held by process 10 (python3)"


def test_free_locks(module):
    run, _ = module
    kind, res = run("proc-locks-free.txt")
    assert kind == "Exit"
    assert res["locked"] is False and res["holders"] == [] and res["description"] is None


def test_only_the_paths_asked(module):
    run, _ = module
    kind, res = run("proc-locks-held.txt", {"paths": ["/var/lib/dpkg/lock", "/var/lib/apt/lists/lock"]})
    assert kind == "Exit" and res["locked"] is False


def test_runs_in_check_mode(module):
    run, _ = module
    kind, res = run("proc-locks-held.txt", {"_ansible_check_mode": True})
    assert kind == "Exit" and res["locked"] is True


def test_no_lock_table_fails_naming_it(module):
    run, _ = module
    kind, res = run(None)
    assert kind == "Fail"
    assert res["msg"].startswith("Could not read %s/locks: " % dpkg_lock_info.PROC)


def test_a_path_that_cannot_be_read_fails_naming_it(module, monkeypatch):
    run, stats = module

    def denied(path):
        raise OSError(errno.EACCES, os.strerror(errno.EACCES), path)
    monkeypatch.setattr(dpkg_lock_info.os, "stat", denied)
    kind, res = run("proc-locks-held.txt")
    assert kind == "Fail"
    assert res["msg"].startswith("Could not stat /var/lib/dpkg/lock-frontend: ")
    assert "Permission denied" in res["msg"]
