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
  - Each row has C(actions) (C(code), C(action), C(severity)), C(findings) (the container, image, daemon, file and
    host checks, each C(check), C(cis), C(severity), C(subject), C(detail), C(action), most severe first) and
    C(severity), the worst of both or null.
  - C(docker_audit_fleet) adds what only the whole fleet shows, a C(duplicate_identity) action (high) on each host
    whose DMI product_uuid or an adapter's MAC address another host has too (a cloned VM; kubeadm needs both
    unique).
  - C(docker_audit_order) puts hosts by their worst severity first, then most actions and findings first, then by
    name.
  - C(docker_audit_options(fail_on, fail_on_action)) checks C(dockerops_audit_checks) (the input) and the
    thresholds, and returns them as C(checks) and C(fail_on); the error names the bad value.
  - C(docker_audit_gate(fail_on)) lists, one line per host, the actions and findings at C(fail_on) or above.
  - C(docker_audit_file_paths) lists the paths whose owner and mode the files checks read, from daemon.json's
    text (its TLS files).
  - C(docker_audit_markdown(generated)) and C(docker_audit_html(generated)) render rows; the HTML page is
    self-contained (no external resource), its tables sort by a click on a column header, checkboxes filter it by
    severity, and it counts actions and findings across the fleet per severity and per check, with a section per
    check and per host.
  - C(docker_disk_usage) turns the engine's C(/system/df) answer into what C(docker system df) prints, per kind the
    count, the active count, the size and the reclaimable bytes.
  - C(docker_size) prints bytes in decimal units as C(docker system df) does (V(13.81MB)).
author: dockerops.host maintainers (@dockerops)
"""

import json

from ansible_collections.dockerops.host.plugins.plugin_utils import audit, audit_daemon, audit_engine, audit_fleet
from ansible_collections.dockerops.host.plugins.plugin_utils import audit_html
from ansible_collections.dockerops.host.plugins.plugin_utils.filters import raising_filter_errors


def _wrap(func):
    return raising_filter_errors(func, (audit.AuditError, audit_engine.AuditEngineError,
                                        audit_daemon.AuditDaemonError, audit_fleet.AuditFleetError))


def docker_audit_row(collected, host):
    return audit.build_row(host, collected)


def docker_audit_options(checks, fail_on=None, fail_on_action=False):
    return audit.options(checks, fail_on, fail_on_action)


def docker_audit_file_paths(daemon_json_text):
    try:
        parsed = json.loads(daemon_json_text) if (daemon_json_text or "").strip() else {}
    except ValueError:
        parsed = {}
    return audit_daemon.file_paths(parsed)


class FilterModule(object):
    def filters(self):
        return {
            "docker_audit_row": _wrap(docker_audit_row),
            "docker_audit_row_missing": _wrap(audit.unaudited_row),
            "docker_audit_fleet": _wrap(audit.fleet),
            "docker_audit_order": _wrap(audit.order),
            "docker_audit_options": _wrap(docker_audit_options),
            "docker_audit_gate": _wrap(audit.gate),
            "docker_audit_file_paths": _wrap(docker_audit_file_paths),
            "docker_audit_markdown": _wrap(audit.markdown),
            "docker_audit_html": _wrap(audit_html.render_html),
            "docker_disk_usage": _wrap(audit.disk_usage),
            "docker_size": _wrap(audit.human_size),
        }
