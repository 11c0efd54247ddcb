# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: audit
short_description: Build the fleet audit report of the audit playbook
description:
  - C(docker_audit_row(host)) turns what the audit play collected on a host (C(facts), C(storage) from
    docker_storage_facts, C(sysctl) from sysctl_check, C(group), C(daemon_json), C(host_info) from
    community.docker.docker_host_info, C(errors)) into a report row with the actions the host needs.
  - C(docker_audit_row_missing) is the row of a host the audit could not finish (unreachable, or a task failed).
  - C(docker_audit_order) puts hosts that need action first, most actions first, then the rest by name.
  - C(docker_audit_markdown(generated)) and C(docker_audit_html(generated)) render rows; the HTML page is
    self-contained and its table sorts by a click on a column header.
  - C(docker_disk_usage) turns the engine's C(/system/df) answer into what C(docker system df) prints, per kind the
    count, the active count, the size and the reclaimable bytes.
  - C(docker_size) prints bytes in decimal units as C(docker system df) does (V(13.81MB)).
author: dockerops.host maintainers (@dockerops)
"""

from ansible_collections.dockerops.host.plugins.plugin_utils import audit
from ansible_collections.dockerops.host.plugins.plugin_utils.filters import raising_filter_errors


def _wrap(func):
    return raising_filter_errors(func, (audit.AuditError,))


def docker_audit_row(collected, host):
    return audit.build_row(host, collected)


class FilterModule(object):
    def filters(self):
        return {
            "docker_audit_row": _wrap(docker_audit_row),
            "docker_audit_row_missing": _wrap(audit.unaudited_row),
            "docker_audit_order": _wrap(audit.order),
            "docker_audit_markdown": _wrap(audit.markdown),
            "docker_audit_html": _wrap(audit.render_html),
            "docker_disk_usage": _wrap(audit.disk_usage),
            "docker_size": _wrap(audit.human_size),
        }
