# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE: the filters here whose names start with _ are internal to this collection's roles and playbooks, not public
API; they are undocumented in ansible-doc and may change without notice. Public, documented in
plugins/filter/<name>.yml: docker_disk_usage, docker_size.

`_docker_audit_row(host)` turns what the audit play collected on a host (`facts`, `storage` from
docker_storage_facts, `sysctl` from sysctl_check, `group`, `daemon_json`, `host_info` from
community.docker.docker_host_info, `errors`) into a report row with the actions the host needs.

`_docker_audit_row_missing` is the row of a host the audit could not finish (unreachable, or a task failed).

Each row has `actions` (`code`, `action`, `severity`), `findings` (the container, image, daemon, file and host
checks, each `check`, `cis`, `severity`, `subject`, `detail`, `action`, most severe first) and `severity`, the worst
of both or null.

`_docker_audit_fleet` adds what only the whole fleet shows, a `duplicate_identity` action (high) on each host whose
DMI product_uuid or an adapter's MAC address another host has too (a cloned VM; kubeadm needs both unique).

`_docker_audit_order` puts hosts by their worst severity first, then most actions and findings first, then by name.

`_docker_audit_options(fail_on, fail_on_action)` checks `dockerops_audit_checks` (the input) and the thresholds, and
returns them as `checks` and `fail_on`; the error names the bad value.

`_docker_audit_gate(fail_on)` lists, one line per host, the actions and findings at `fail_on` or above.

`_docker_audit_file_paths` lists the paths whose owner and mode the files checks read, from daemon.json's text (its
TLS files).

`_docker_audit_markdown(generated)` and `_docker_audit_html(generated)` render rows; the HTML page is self-contained
(no external resource), its tables sort by a click on a column header, checkboxes filter it by severity, and it
counts actions and findings across the fleet per severity and per check, with a section per check and per host.

`docker_disk_usage` turns the engine's `/system/df` answer into what `docker system df` prints, per kind the count,
the active count, the size and the reclaimable bytes.

`docker_size` prints bytes in decimal units as `docker system df` does (`13.81MB`).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


import json

from ansible_collections.dockerops.host.plugins.plugin_utils import (
    _audit as audit, _audit_daemon as audit_daemon, _audit_engine as audit_engine, _audit_fleet as audit_fleet)
from ansible_collections.dockerops.host.plugins.plugin_utils import _audit_html as audit_html
from ansible_collections.dockerops.host.plugins.plugin_utils._filters import raising_filter_errors


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
            "_docker_audit_row": _wrap(docker_audit_row),
            "_docker_audit_row_missing": _wrap(audit.unaudited_row),
            "_docker_audit_fleet": _wrap(audit.fleet),
            "_docker_audit_order": _wrap(audit.order),
            "_docker_audit_options": _wrap(docker_audit_options),
            "_docker_audit_gate": _wrap(audit.gate),
            "_docker_audit_file_paths": _wrap(docker_audit_file_paths),
            "_docker_audit_markdown": _wrap(audit.markdown),
            "_docker_audit_html": _wrap(audit_html.render_html),
            "docker_disk_usage": _wrap(audit.disk_usage),
            "docker_size": _wrap(audit.human_size),
        }
