# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Private: the one way the collection's modules write a file on the host (and read one that may be absent).

Atomic (a temporary file in the same directory, then rename), owned by root
with the mode given, whatever the file had before (atomic_move keeps an
existing file's owner and mode, so they are set again after it).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import tempfile

from ansible.module_utils.common.text.converters import to_native


def _temporary_copy(path, content, mode, dir_mode):
    """A temporary file beside path holding content, synced, root-owned with mode (its directory made with dir_mode
    when missing); its name. OSError when it cannot be made (nothing is left behind then)."""
    directory = os.path.dirname(path) or "."
    tmp = None
    try:
        if not os.path.isdir(directory):
            os.makedirs(directory, dir_mode)
            os.chmod(directory, dir_mode)
        fd, tmp = tempfile.mkstemp(prefix=".dockerops-", dir=directory)
        with os.fdopen(fd, "wb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())  # a power cut leaves the old file or the new one, never an empty one
        os.chmod(tmp, mode)
        os.chown(tmp, 0, 0)
    except (IOError, OSError):
        if tmp and os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return tmp


def write_atomic(module, path, content, mode=0o644, dir_mode=0o755):
    """Write content (bytes) to path; fail_json naming the path when it cannot."""
    try:
        tmp = _temporary_copy(path, content, mode, dir_mode)
    except (IOError, OSError) as e:
        module.fail_json(msg="Could not write %s: %s" % (path, to_native(e)))
    module.atomic_move(tmp, path)
    os.chmod(path, mode)
    os.chown(path, 0, 0)


def replace(path, content, mode=0o644, dir_mode=0o755):
    """write_atomic for a caller that must undo its earlier writes when one fails: OSError instead of fail_json
    (a plain rename, no SELinux context carried over)."""
    tmp = _temporary_copy(path, content, mode, dir_mode)
    try:
        os.rename(tmp, path)
    except OSError:
        os.unlink(tmp)
        raise


def attributes_differ(uid, gid, mode, want_mode, want_gid=0):
    """Whether a file owned by uid:gid with these permission bits is not as write_atomic leaves one: root-owned,
    group want_gid, want_mode."""
    return uid != 0 or gid != want_gid or mode != want_mode


def read_text(path):
    """path's text, or "" when it cannot be read (absent, or not readable)."""
    try:
        with open(path) as f:
            return f.read()
    except (IOError, OSError):
        return ""
