# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE: shared by this collection's filters and playbooks (controller side); not a public API, may change without notice.

Shared by the filter plugins: module_utils errors become filter errors."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import functools

from ansible.errors import AnsibleFilterError


def raising_filter_errors(func, errors):
    """func, with any of `errors` re-raised as AnsibleFilterError carrying its message."""
    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except errors as e:
            raise AnsibleFilterError(str(e))
    return wrapped
