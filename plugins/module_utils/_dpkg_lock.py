# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Private: who holds dpkg's and apt's lock files, from the kernel's lock table (/proc/locks).

apt and dpkg lock with fcntl (POSIX record locks), and so do unattended-upgrades and anything built on python-apt.
apt prints "It is held by process N (name)" only while it waits, so its own output cannot be relied on to name the
holder; the kernel's table always can. Each line of /proc/locks is

    ID: CLASS MODE ACCESS PID MAJOR:MINOR:INODE START END

(fs/locks.c, lock_get_status), with "ID: -> CLASS ..." for a process blocked waiting for that lock, PID -1 for an
open file description lock (OFDLCK, no owning process) and, since Linux 4.9, only the locks of processes the
reader's PID namespace can see. MAJOR and MINOR are the file system's device (hex), INODE the file's (decimal).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

# apt-get and dpkg take these, in this order (apt's pkgsystem, dpkg's lock.c); the last two exist once apt has
# downloaded lists or packages.
LOCK_PATHS = (
    "/var/lib/dpkg/lock-frontend",
    "/var/lib/dpkg/lock",
    "/var/lib/apt/lists/lock",
    "/var/cache/apt/archives/lock",
)


def parse_locks(text):
    """The locks /proc/locks shows as held (waiters dropped): a list of dict(kind, access, pid, major, minor,
    inode). Lines that do not have the kernel's shape are skipped."""
    held = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 2 or fields[1] == "->":
            continue
        if len(fields) < 8:
            continue
        kind, access, pid, where = fields[1], fields[3], fields[4], fields[5]
        parts = where.split(":")
        if len(parts) != 3:
            continue
        try:
            held.append(dict(kind=kind, access=access, pid=int(pid), major=int(parts[0], 16),
                             minor=int(parts[1], 16), inode=int(parts[2])))
        except ValueError:
            continue
    return held


def _comm(proc, pid):
    try:
        with open("%s/%d/comm" % (proc, pid)) as f:
            return f.read().strip() or "?"
    except (IOError, OSError):
        return "?"


def _has_open(proc, pid, path):
    """Whether process pid has path open (a link in /proc/PID/fd)."""
    fd_dir = "%s/%d/fd" % (proc, pid)
    try:
        fds = os.listdir(fd_dir)
    except (IOError, OSError):
        return False
    for fd in fds:
        try:
            if os.readlink(os.path.join(fd_dir, fd)) == path:
                return True
        except (IOError, OSError):
            continue
    return False


def holders(path, st_dev, st_ino, locks, proc="/proc"):
    """The processes holding a lock on path (whose stat gave st_dev and st_ino), from parse_locks()'s list:
    dict(path, pid, name, kind). A lock on the same device and inode is the file's. The device /proc/locks prints
    is the super block's, which is not always the one stat gives (a btrfs subvolume has a device of its own, as
    overlayfs had before Linux 4.19), so a lock on the same inode of another device counts when its process has
    path open. An OFDLCK (pid -1) has no process to name; pid is then None and name "?"."""
    found = []
    for lock in locks:
        if lock["inode"] != st_ino:
            continue
        same_dev = (lock["major"], lock["minor"]) == (os.major(st_dev), os.minor(st_dev))
        if lock["pid"] <= 0:
            if same_dev:
                found.append(dict(path=path, pid=None, name="?", kind=lock["kind"]))
            continue
        if same_dev or _has_open(proc, lock["pid"], path):
            found.append(dict(path=path, pid=lock["pid"], name=_comm(proc, lock["pid"]), kind=lock["kind"]))
    return found


def describe(found):
    """'held by process 10 (python3)', the words apt uses, once for each holder (a process holding two of the
    locks is named once), joined with ', '; None for none."""
    words = []
    for h in found:
        if h["pid"] is None:
            word = "held through an open file description (%s), no process named" % h["kind"]
        else:
            word = "held by process %d (%s)" % (h["pid"], h["name"])
        if word not in words:
            words.append(word)
    return ", ".join(words) or None
