# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE: docker_daemon's own daemon.json settings, from the role's variables (the docker_daemon_settings
filter). The merge with the other roles' fragments, the checks and the transaction are docker_daemon_config's."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.utils.vars import merge_hash

# docker_daemon_cis_hardening: the CIS Docker Benchmark settings the role sets (live-restore, no userland proxy,
# no new privileges, no inter-container communication on the default bridge).
CIS = {"live-restore": True, "userland-proxy": False, "no-new-privileges": True, "icc": False}


def role_settings(options, log_rotation=True, log_max_size="10m", log_max_file="3", live_restore=True,
                  mirrors=None, cis_hardening=False):
    """The role's settings: json-file log rotation (log_max_size, log_max_file), live-restore, the registry mirrors
    (already checked by docker_registry_mirrors) and the CIS settings, each when asked for, in that order (a later
    one wins a key), then docker_daemon_options (options) merged over them recursively, as Ansible's
    combine(recursive=true) does: a mapping in both is merged key by key, any other value is replaced. The switches
    are read as Jinja's `if` read them (truthiness)."""
    own = {}
    if log_rotation:
        own["log-driver"] = "json-file"
        own["log-opts"] = {"max-size": log_max_size, "max-file": log_max_file}
    if live_restore:
        own["live-restore"] = True
    if mirrors:
        own["registry-mirrors"] = mirrors
    if cis_hardening:
        own.update(CIS)
    return merge_hash(own, options or {}, recursive=True)
