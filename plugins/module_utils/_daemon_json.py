# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Private: the one reader of daemon.json and its fragments on the host, as dockerd reads them.

An empty file is no settings; anything but a JSON object is an error that names the file.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible.module_utils.common.text.converters import to_native


class DaemonJsonError(ValueError):
    pass


def load(path, what="daemon.json"):
    """The settings in path (a dict); DaemonJsonError naming what and path when it cannot be read or used."""
    try:
        with open(path, "rb") as f:
            text = f.read()
    except (IOError, OSError) as e:
        raise DaemonJsonError("Could not read %s %s: %s" % (what, path, to_native(e)))
    if not text.strip():
        return {}
    try:
        data = json.loads(text.decode("utf-8"))
    except ValueError as e:  # also UnicodeDecodeError
        raise DaemonJsonError("%s %s is not valid JSON (%s)" % (what, path, to_native(e)))
    if not isinstance(data, dict):
        raise DaemonJsonError("%s %s must hold a JSON object" % (what, path))
    return data
