# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE: the filters here whose names start with _ are internal to this collection's roles and playbooks, not public
API; they are undocumented in ansible-doc and may change without notice.

The merge, checks and application of daemon.json are the module dockerops.host.docker_daemon_config's.

`_docker_registry_mirrors` checks a list of registry mirror URLs - scheme (http or https) and host, an optional port
and path, nothing else - and fails naming the variable, the entry's index and its value with any credentials masked.

`_docker_proxy_env_file` turns a list of `{name, var, value}` proxy settings into the text of a systemd
`EnvironmentFile` that systemd reads back exactly - in double quotes, with backslash, double quote, backquote and
dollar escaped by a backslash; a percent sign is not a specifier there - and fails on a newline or control
character, naming `var` but not the value.

`_docker_proxy_masked` gives the same settings as a mapping of each variable name to its value, any `user:password@`
masked, for task output.

`_docker_daemon_settings` gives the role's own daemon settings (log rotation, live-restore, registry mirrors, CIS
hardening) with `docker_daemon_options` merged over them recursively.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


from ansible_collections.dockerops.host.plugins.plugin_utils._filters import raising_filter_errors
from ansible_collections.dockerops.host.plugins.module_utils import _daemon_config as dc
from ansible_collections.dockerops.host.plugins.plugin_utils._daemon_settings import role_settings


def _wrap(func):
    return raising_filter_errors(func, dc.DaemonConfigError)


class FilterModule(object):
    def filters(self):
        return {
            "_docker_registry_mirrors": _wrap(dc.check_registry_mirrors),
            "_docker_proxy_env_file": _wrap(dc.proxy_env_file),
            "_docker_proxy_masked": _wrap(dc.proxy_masked),
            "_docker_daemon_settings": role_settings,
        }
