#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: dpkg_lock_info
short_description: Name the processes holding dpkg's and apt's locks, read-only
description:
  - Reads the kernel's lock table (C(/proc/locks)) for locks on each of O(paths) and names the process holding each
    (C(/proc/PID/comm)). apt prints who holds a lock only while it waits for it, so a failed apt task's output does
    not always say; the kernel's table does, for as long as the lock is held.
  - A path that does not exist is not locked. Locks held by processes outside the host's (or container's) PID
    namespace are not shown by the kernel, and are not reported.
  - Use it before maintenance (unattended-upgrades still running?) or after an apt task failed on a lock, as the
    M(dockerops.host.docker_install_ubuntu) role does.
version_added: 0.1.0
author: dockerops.host maintainers (@dockerops)
extends_documentation_fragment:
  - dockerops.host.read_only
options:
  paths:
    description:
      - The lock files to look at. The default is the four apt and dpkg take, in the order they take them.
    type: list
    elements: path
    default:
      - /var/lib/dpkg/lock-frontend
      - /var/lib/dpkg/lock
      - /var/lib/apt/lists/lock
      - /var/cache/apt/archives/lock
notes:
  - Needs Linux's C(/proc/locks). Naming the process of a lock taken on a btrfs subvolume (whose device differs from
    the one the lock table prints) needs read access to C(/proc/PID/fd), so run it with C(become).
"""

EXAMPLES = r"""
- name: Who holds dpkg's lock?
  dockerops.host.dpkg_lock_info:
  register: dpkg_lock

- name: Say so
  ansible.builtin.debug:
    msg: "dpkg is {{ dpkg_lock.description if dpkg_lock.locked else 'free' }}"
"""

RETURN = r"""
locked:
  description: Whether any of O(paths) is locked.
  returned: always
  type: bool
  sample: true
holders:
  description: One item for each lock held on one of O(paths).
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: The lock file.
      type: str
      sample: /var/lib/dpkg/lock-frontend
    pid:
      description: The holding process; null for an open file description lock, which has no owning process.
      type: int
      sample: 4242
    name:
      description: The process's command name (C(/proc/PID/comm)), C(?) when it cannot be read.
      type: str
      sample: unattended-upgr
    kind:
      description: The lock's class in C(/proc/locks) (C(POSIX) for apt and dpkg, C(FLOCK), C(OFDLCK)).
      type: str
      sample: POSIX
description:
  description: The holders in apt's words (C(held by process 4242 (unattended-upgr))), each process once; null when
    nothing is locked.
  returned: always
  type: str
  sample: held by process 4242 (unattended-upgr)
"""

import errno
import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native
from ansible_collections.dockerops.host.plugins.module_utils._dpkg_lock import (
    LOCK_PATHS, describe, holders, parse_locks)

PROC = "/proc"


def main():
    module = AnsibleModule(
        argument_spec=dict(paths=dict(type="list", elements="path", default=list(LOCK_PATHS))),
        supports_check_mode=True,
    )
    try:
        with open(PROC + "/locks") as f:
            locks = parse_locks(f.read())
    except (IOError, OSError) as e:
        module.fail_json(msg="Could not read %s/locks: %s" % (PROC, to_native(e)))
    found = []
    for path in module.params["paths"]:
        try:
            st = os.stat(path)
        except (IOError, OSError) as e:
            if e.errno == errno.ENOENT:
                continue  # no file, no lock on it
            module.fail_json(msg="Could not stat %s: %s" % (path, to_native(e)))
        found.extend(holders(path, st.st_dev, st.st_ino, locks, PROC))
    module.exit_json(changed=False, locked=bool(found), holders=found, description=describe(found))


if __name__ == "__main__":
    main()
