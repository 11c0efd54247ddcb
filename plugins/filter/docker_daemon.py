# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: docker_daemon
short_description: Build and check the Docker daemon configuration
description:
  - C(docker_daemon_merge) merges a list of C({name, options}) sources in order; a key two sources set to different
    values fails, naming the key and both sources.
  - C(docker_daemon_check) refuses values dockerd only rejects at start-up, and on engines before 23.0 (no
    C(dockerd --validate)) keys it does not know.
  - C(docker_registry_mirrors) checks a list of registry mirror URLs - scheme (http or https) and host, an optional
    port and path, nothing else - and fails naming the variable, the entry's index and its value with any credentials
    masked.
  - C(docker_proxy_env_file) turns a list of C({name, var, value}) proxy settings into the text of a systemd
    C(EnvironmentFile) that systemd reads back exactly - in double quotes, with backslash, double quote, backquote and
    dollar escaped by a backslash; a percent sign is not a specifier there - and fails on a newline or control
    character, naming C(var) but not the value.
  - C(docker_proxy_masked) gives the same settings as a mapping of each variable name to its value, any
    C(user:password@) masked, for task output.
  - C(docker_has_validate) tells whether an engine version has C(dockerd --validate).
  - C(docker_daemon_changed) lists the options that differ between a new and an old configuration.
author: dockerops.host maintainers (@dockerops)
"""


from ansible_collections.dockerops.host.plugins.plugin_utils.filters import raising_filter_errors
from ansible_collections.dockerops.host.plugins.module_utils import daemon_config as dc


def _wrap(func):
    return raising_filter_errors(func, dc.DaemonConfigError)


def docker_daemon_merge(sources):
    merged, dummy = dc.merge([(s["name"], s.get("options")) for s in sources])
    return merged


def docker_daemon_check(config, engine_version):
    dc.check_values(config)
    dc.check_known_keys(config, engine_version)
    return config


class FilterModule(object):
    def filters(self):
        return {
            "docker_daemon_merge": _wrap(docker_daemon_merge),
            "docker_daemon_check": _wrap(docker_daemon_check),
            "docker_registry_mirrors": _wrap(dc.check_registry_mirrors),
            "docker_proxy_env_file": _wrap(dc.proxy_env_file),
            "docker_proxy_masked": _wrap(dc.proxy_masked),
            "docker_has_validate": _wrap(dc.has_validate),
            "docker_daemon_changed": _wrap(dc.changed_keys),
        }
