# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Private: `apt-get update` of one repository definition alone, and what its output says.

The one client for that read (docker_apt_repository). apt-get update does not wait for the lists lock (apt-daily,
cloud-init hold it), so a read that could not take it is tried again every 5 seconds until the lock timeout.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import time

LOCK_WORDS = "Could not get lock"
# apt 2.x: "E: Could not get lock /var/lib/apt/lists/lock. It is held by process 7 (python3)"
HOLDER = re.compile(r"It is held by process (\d+) \(([^)]*)\)")
RETRY_DELAY = 5
# English words: the failure is recognised by apt's own prefixes ("Err:", "W: ", "E: ").
C_LOCALE = dict(LANG="C", LC_ALL="C", LC_MESSAGES="C")


def read_failure(rc, stdout="", stderr=""):
    """apt's words when `apt-get update` of one repository failed, or "" when it read it.

    It failed on an error (rc), on a fetch error (rc 0 with "Err:" lines on stdout, "W: Failed to fetch" or "E: "
    on stderr), or with the lists lock still held after the wait. The words are the "Err:" lines with their
    indented continuations, then stderr, each trimmed.
    """
    out = (stdout or "").splitlines()
    err = (stderr or "").splitlines()
    failed = (rc not in (0, None) or any(line.startswith("Err:") for line in out)
              or any(line.startswith(("W: Failed to fetch", "E: ")) for line in err))
    if not failed:
        return ""
    said = [line.strip() for line in out if line.startswith(("Err:", "  "))] + [line.strip() for line in err]
    return " ".join(line for line in said if line) or "rc %s and no words" % (rc,)


def update_argv(apt_get, definition):
    """apt-get update of definition alone: no other source read, no other list removed, fetches retried."""
    return [apt_get, "update", "-q", "-o", "Dir::Etc::sourcelist=%s" % definition, "-o", "Dir::Etc::sourceparts=-",
            "-o", "APT::Get::List-Cleanup=0", "-o", "Acquire::Retries=3"]


def update_one(module, apt_get, definition, lock_timeout):
    """Run that read with apt_get (its path), again while another apt holds the lists lock and lock_timeout (s)
    allows: (rc, out, err). A read that had to wait says so in a warning, naming the holder apt named."""
    argv = update_argv(apt_get, definition)
    start = time.monotonic()
    holder = None
    while True:
        rc, out, err = module.run_command(argv, environ_update=C_LOCALE)
        if LOCK_WORDS not in err:
            if holder is not None:
                module.warn("apt's lists lock was held by another process (%s): the read of %s waited %d s for it"
                            % (holder, definition, round(time.monotonic() - start)))
            return rc, out, err
        if time.monotonic() >= start + lock_timeout:
            return rc, out, err
        found = HOLDER.search(err)
        holder = "process %s, %s" % found.groups() if found else "apt did not say which"
        time.sleep(RETRY_DELAY)
