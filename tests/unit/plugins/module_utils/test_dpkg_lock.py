"""module_utils._dpkg_lock on the kernel lock table and /proc recorded in a lab container
(tests/unit/fixtures/dpkg_lock/README.md says how; the two synthetic inputs are marked)."""
import os
import shutil
import tempfile

import pytest

from ansible_collections.dockerops.host.plugins.module_utils import _dpkg_lock

FIX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fixtures", "dpkg_lock")


def recorded(name):
    with open(os.path.join(FIX, name)) as f:
        return f.read()


def recorded_stat():
    """{path: (st_dev, st_ino)} from stat-held.txt (stat's error lines, for the absent apt locks, skipped)."""
    found = {}
    for line in recorded("stat-held.txt").splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[0].isdigit():
            found[fields[2]] = (int(fields[0]), int(fields[1]))
    return found


FRONTEND = "/var/lib/dpkg/lock-frontend"


@pytest.fixture
def proc():
    """A /proc of the recorded processes: comm and the fd links that name a lock file."""
    base = tempfile.mkdtemp(prefix="dpkglock")
    for line in recorded("proc-comm-held.txt").splitlines():
        pid, comm = line.split(" ", 1)
        os.makedirs(os.path.join(base, pid, "fd"))
        with open(os.path.join(base, pid, "comm"), "w") as f:
            f.write(comm + "\n")
    for line in recorded("proc-fd-held.txt").splitlines():
        link, target = line.split(" ", 1)
        os.symlink(target, base + link[len("/proc"):])
    yield base
    shutil.rmtree(base)


def test_parse_keeps_holders_and_drops_waiters():
    held = _dpkg_lock.parse_locks(recorded("proc-locks-held.txt"))
    assert held == [
        dict(kind="POSIX", access="WRITE", pid=10, major=0, minor=0x45, inode=2746024),
        dict(kind="OFDLCK", access="READ", pid=-1, major=0, minor=6, inode=3),
    ]


def test_parse_skips_lines_of_another_shape():
    text = "garbage\n\n1: POSIX ADVISORY WRITE x 00:45:1 0 EOF\n2: POSIX ADVISORY WRITE 3 00:45 0 EOF\n" \
           "3: POSIX ADVISORY WRITE 4 00:zz:1 0 EOF\n4: POSIX ADVISORY\n"
    assert _dpkg_lock.parse_locks(text) == []
    # ... and the lines after them are still read.
    assert _dpkg_lock.parse_locks(text + recorded("proc-locks-held.txt")) == _dpkg_lock.parse_locks(
        recorded("proc-locks-held.txt"))


def test_recorded_holder_is_named_as_apt_names_it(proc):
    dev, ino = recorded_stat()[FRONTEND]
    found = _dpkg_lock.holders(FRONTEND, dev, ino, _dpkg_lock.parse_locks(recorded("proc-locks-held.txt")), proc)
    assert found == [dict(path=FRONTEND, pid=10, name="python3", kind="POSIX")]
    described = _dpkg_lock.describe(found)
    assert described == "held by process 10 (python3)"
    # The same words apt printed while it waited on the same holder.
    assert "It is " + described in recorded("apt-get-held.stdout")


def test_the_waiter_and_other_files_are_not_holders(proc):
    dev, ino = recorded_stat()["/var/lib/dpkg/lock"]
    assert _dpkg_lock.holders("/var/lib/dpkg/lock", dev, ino,
                              _dpkg_lock.parse_locks(recorded("proc-locks-held.txt")), proc) == []


def test_nothing_held(proc):
    dev, ino = recorded_stat()[FRONTEND]
    assert _dpkg_lock.holders(FRONTEND, dev, ino, _dpkg_lock.parse_locks(recorded("proc-locks-free.txt")), proc) == []
    assert _dpkg_lock.describe([]) is None


def test_same_inode_other_device_needs_the_file_open(proc):
    # Synthetic: the recorded holder's line on device 00:2a, as /proc/locks prints a lock taken on a btrfs
    # subvolume whose stat device differs.
    text = recorded("proc-locks-held.txt").replace("00:45:", "00:2a:")
    dev, ino = recorded_stat()[FRONTEND]
    locks = _dpkg_lock.parse_locks(text)
    assert _dpkg_lock.holders(FRONTEND, dev, ino, locks, proc) == [
        dict(path=FRONTEND, pid=10, name="python3", kind="POSIX")]
    # Without the open file (another file with that inode on another file system), no holder.
    os.unlink(os.path.join(proc, "10", "fd", "3"))
    assert _dpkg_lock.holders(FRONTEND, dev, ino, locks, proc) == []
    # Nor when the process's fd cannot be read.
    shutil.rmtree(os.path.join(proc, "10"))
    assert _dpkg_lock.holders(FRONTEND, dev, ino, locks, proc) == []


def test_locks_of_other_files_before_the_holder_are_passed_over(proc):
    # Synthetic: the two recorded tables joined, so that lines of other files (the runtime's OFD lock) come first.
    locks = _dpkg_lock.parse_locks(recorded("proc-locks-free.txt") + recorded("proc-locks-held.txt"))
    dev, ino = recorded_stat()[FRONTEND]
    assert _dpkg_lock.holders(FRONTEND, dev, ino, locks, proc) == [
        dict(path=FRONTEND, pid=10, name="python3", kind="POSIX")]


def test_unreadable_process_is_named_with_a_question_mark(proc):
    shutil.rmtree(os.path.join(proc, "10"))
    dev, ino = recorded_stat()[FRONTEND]
    found = _dpkg_lock.holders(FRONTEND, dev, ino, _dpkg_lock.parse_locks(recorded("proc-locks-held.txt")), proc)
    assert found == [dict(path=FRONTEND, pid=10, name="?", kind="POSIX")]
    assert _dpkg_lock.describe(found) == "held by process 10 (?)"


def test_ofd_lock_has_no_process(proc):
    # Synthetic: the holder's line as the kernel prints an open file description lock (class OFDLCK, pid -1).
    text = recorded("proc-locks-held.txt").replace("POSIX  ADVISORY  WRITE 10 ", "OFDLCK ADVISORY  WRITE -1 ", 1)
    dev, ino = recorded_stat()[FRONTEND]
    found = _dpkg_lock.holders(FRONTEND, dev, ino, _dpkg_lock.parse_locks(text), proc)
    assert found == [dict(path=FRONTEND, pid=None, name="?", kind="OFDLCK")]
    assert _dpkg_lock.describe(found) == "held through an open file description (OFDLCK), no process named"
    # ... and on another device it cannot be told from another file's lock.
    text = text.replace("00:45:", "00:2a:")
    assert _dpkg_lock.holders(FRONTEND, dev, ino, _dpkg_lock.parse_locks(text), proc) == []


def test_describe_names_a_process_once_and_keeps_order():
    found = [dict(path="/a", pid=7, name="apt-get", kind="POSIX"), dict(path="/b", pid=7, name="apt-get", kind="POSIX"),
             dict(path="/b", pid=9, name="dpkg", kind="POSIX")]
    assert _dpkg_lock.describe(found) == "held by process 7 (apt-get), held by process 9 (dpkg)"


def test_lock_paths_are_apts_and_dpkgs_in_order():
    assert _dpkg_lock.LOCK_PATHS[:2] == ("/var/lib/dpkg/lock-frontend", "/var/lib/dpkg/lock")
    assert set(_dpkg_lock.LOCK_PATHS[2:]) == {"/var/lib/apt/lists/lock", "/var/cache/apt/archives/lock"}
