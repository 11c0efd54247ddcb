# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE: the filters here whose names start with _ are internal to this collection's roles and playbooks, not public
API; they are undocumented in ansible-doc and may change without notice.

`_dockerops_preflight` takes a host's variables (`hostvars[inventory_hostname]`) and the collection's roles directory
(or a list of `meta/argument_specs.yml` paths), and returns `{errors, warnings}`, one short line each - the
variable, the value and what is allowed. Variables with the collection's prefixes (`docker_install_ubuntu_`,
`docker_install_centos_`, `docker_daemon_`, `docker_storage_`, `docker_group_`, `kernel_params_`, `dockerops_`) that
no role or playbook takes are reported with the closest real name; they are warnings, or errors when `strict` is
true. With `existing_users` (the names in the host's passwd database), users listed in `docker_group_users` or
`docker_group_rootless_users` that do not exist are errors too.

`_dockerops_change_summary` takes a list of `{label, results}` (registered task results, `{}` for a task that did not
run) and returns the labels of the areas where something changed, comma-separated, or `no change`.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


import glob
import os

import yaml

from ansible.errors import AnsibleFilterError
from ansible_collections.dockerops.host.plugins.plugin_utils import _preflight as pf


def _load_specs(spec_files):
    if isinstance(spec_files, str):
        spec_files = sorted(glob.glob(os.path.join(spec_files, "*", "meta", "argument_specs.yml")))
    specs = {}
    for path in spec_files:
        role = os.path.basename(os.path.dirname(os.path.dirname(path)))
        try:
            with open(path) as f:
                specs[role] = yaml.safe_load(f)
        except (IOError, OSError, yaml.YAMLError) as e:
            raise AnsibleFilterError("cannot read the argument spec %s: %s" % (path, e))
    if not specs:
        raise AnsibleFilterError("no argument spec files given: the preflight would check nothing")
    return specs


def dockerops_preflight(variables, spec_files, strict=False, existing_users=None):
    options = pf.options_from_specs(_load_specs(spec_files))
    picked, broken = {}, []
    for name in [n for n in variables if n.startswith(pf.PREFIXES)]:
        try:
            picked[name] = variables[name]
        except Exception as e:  # an inventory template that does not render: name it, check the rest
            broken.append("%s: its value does not render: %s" % (name, e))
    result = pf.check_variables(picked, options, strict=strict)
    result["errors"] = broken + result["errors"] + pf.missing_users(picked, existing_users)
    return result


def dockerops_change_summary(areas):
    return pf.change_summary(areas)


class FilterModule(object):
    def filters(self):
        return {
            "_dockerops_preflight": dockerops_preflight,
            "_dockerops_change_summary": dockerops_change_summary,
        }
