# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet audit: one row per host from what the audit play collected,
the actions a host needs, the fleet ordering, and the Markdown and HTML
renderings of the report. Pure functions, so the report is unit-tested."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import html
import json
import re

POOL_FULL_PERCENT = 80.0
BRIDGE_NF = ("net.bridge.bridge-nf-call-iptables", "net.bridge.bridge-nf-call-ip6tables")
# Logging drivers whose files the engine does not keep (journald, syslog, remote
# drivers) or rotates by default (local).
ROTATED_ELSEWHERE = {"local", "journald", "syslog", "none", "fluentd", "gelf", "awslogs", "splunk", "etwlogs",
                     "gcplogs", "logentries"}
DF_KINDS = ("images", "containers", "volumes", "build_cache")


class AuditError(ValueError):
    pass


def _version_tuple(text):
    nums = re.findall(r"\d+", re.split(r"[+~]", str(text or ""), maxsplit=1)[0])
    return tuple(int(n) for n in nums[:3])


def disk_usage(df):
    """What `docker system df` prints, from the engine's /system/df answer
    (docker_host_info with disk_usage and verbose_output): per kind the
    count, active count, size and reclaimable bytes, computed as the docker
    CLI computes them."""
    if not isinstance(df, dict):
        raise AuditError("disk usage must be the engine's /system/df answer (a dict), got %r" % type(df).__name__)
    images = df.get("Images") or []
    containers = df.get("Containers") or []
    volumes = df.get("Volumes") or []
    cache = df.get("BuildCache") or []

    # Images: the size is the layers' total; what containers use is not reclaimable.
    images_size = int(df.get("LayersSize") or 0)
    used = 0
    for image in images:
        if (image.get("Containers") or 0) > 0:
            size, shared = image.get("Size", -1), image.get("SharedSize", -1)
            if size is None or shared is None or size < 0 or shared < 0:
                continue
            used += size - shared
    running = ("running", "paused", "restarting")
    result = {
        "images": dict(total=len(images), active=sum(1 for i in images if (i.get("Containers") or 0) > 0),
                       size=images_size, reclaimable=max(images_size - used, 0)),
        "containers": dict(total=len(containers),
                           active=sum(1 for c in containers if c.get("State") in running),
                           size=sum(max(c.get("SizeRw") or 0, 0) for c in containers),
                           reclaimable=sum(max(c.get("SizeRw") or 0, 0) for c in containers
                                           if c.get("State") not in running)),
    }
    vol_sizes = [((v.get("UsageData") or {}).get("Size", -1), (v.get("UsageData") or {}).get("RefCount", 0))
                 for v in volumes]
    result["volumes"] = dict(total=len(volumes), active=sum(1 for dummy, refs in vol_sizes if refs > 0),
                             size=sum(s for s, dummy in vol_sizes if s and s > 0),
                             reclaimable=sum(s for s, refs in vol_sizes if s and s > 0 and refs == 0))
    result["build_cache"] = dict(total=len(cache), active=sum(1 for b in cache if b.get("InUse")),
                                 size=sum(b.get("Size") or 0 for b in cache if not b.get("Shared")),
                                 reclaimable=sum(b.get("Size") or 0 for b in cache
                                                 if not b.get("Shared") and not b.get("InUse")))
    return result


def log_rotation(logging_driver, daemon_json):
    """(rotated, why) for the engine's default logging driver and daemon.json's log-opts."""
    driver = logging_driver or (daemon_json or {}).get("log-driver") or "json-file"
    opts = (daemon_json or {}).get("log-opts") or {}
    if driver in ROTATED_ELSEWHERE:
        return True, "log driver %s keeps no unbounded files on the host" % driver
    if driver == "json-file":
        if opts.get("max-size"):
            return True, "json-file with max-size %s, max-file %s" % (opts["max-size"], opts.get("max-file", "1"))
        return False, "json-file without max-size: container logs grow until the disk is full"
    return True, "log driver %s (its rotation is not the engine's)" % driver


def _bridge_nf(sysctl):
    params = (sysctl or {}).get("parameters") or {}
    return {name: (params.get(name) or {}).get("actual") for name in BRIDGE_NF}


# Container hosts run on another host's kernel: their kernel parameters are that host's, not theirs to persist.
CONTAINER_TYPES = ("docker", "container", "podman", "lxc", "containerd")


def _is_container(facts):
    # Ansible lists "container" among virtualization_tech_guest for every container technology it detects
    # (systemd-nspawn and OpenVZ too); the type alone covers older facts.
    if "container" in (facts.get("virtualization_tech_guest") or []):
        return True
    return facts.get("virtualization_role") == "guest" and facts.get("virtualization_type") in CONTAINER_TYPES


def _not_persisted(sysctl):
    """{name: entry} of the parameters sysctl_check found right now but lost at reboot."""
    params = (sysctl or {}).get("parameters") or {}
    return dict((name, entry) for name, entry in params.items()
                if isinstance(entry, dict) and entry.get("status") == "not_persisted")


def _image_store(info):
    """The image store from docker info alone (docker_host_info's host_info)."""
    if not info.get("Driver"):
        return None
    status = dict(info.get("DriverStatus") or [])
    return "containerd" if status.get("driver-type") == "io.containerd.snapshotter.v1" else "graphdriver"


def build_row(host, collected):
    """One report row for a host from what the audit play registered:
    facts (setup min), storage (docker_storage_facts), sysctl (sysctl_check),
    group (getent), daemon_json (parsed daemon.json or None), host_info
    (docker_host_info with disk_usage), errors (list of strings)."""
    if not isinstance(collected, dict):
        raise AuditError("audit data for %s must be a dict, got %r" % (host, type(collected).__name__))
    facts = collected.get("facts") or {}
    storage = collected.get("storage") or {}
    engine = storage.get("engine") or {}
    dm = storage.get("devicemapper") or {}
    overlay2 = storage.get("overlay2") or {}
    host_info = collected.get("host_info") or {}
    info = host_info.get("host_info") or {}
    errors = list(collected.get("errors") or [])
    daemon_json = collected.get("daemon_json")
    if isinstance(daemon_json, str):
        try:
            daemon_json = json.loads(daemon_json) if daemon_json.strip() else {}
        except ValueError as e:
            errors.append("/etc/docker/daemon.json is not valid JSON (%s)" % e)
            daemon_json = {}

    row = {
        "host": host,
        "os": " ".join(x for x in (facts.get("distribution"), facts.get("distribution_version")) if x) or None,
        "kernel": facts.get("kernel"),
        "engine_version": engine.get("version") or info.get("ServerVersion"),
        "engine_answered": bool(engine.get("answered")),
        "storage_driver": engine.get("storage_driver") or info.get("Driver"),
        # containerd (its snapshotter is the driver: overlayfs) or graphdriver.
        "image_store": engine.get("image_store") or _image_store(info),
        # docker_storage_facts' verdict: overlay2, overlayfs and direct-lvm are healthy.
        "storage_healthy": (storage.get("decision") or {}).get("healthy"),
        "loop_lvm": bool(dm.get("loop_lvm")),
        "pool_data_percent": dm.get("data_percent"),
        "pool_metadata_percent": dm.get("metadata_percent"),
        "overlay2_supported": overlay2.get("supported"),
        "overlay2_reasons": overlay2.get("reasons") or [],
        "bridge_nf": _bridge_nf(collected.get("sysctl")),
        "docker_group": sorted(collected.get("group") or []),
        "warnings": list(info.get("Warnings") or []),
        "logging_driver": info.get("LoggingDriver"),
        "disk_usage": None,
        "actions": [],
        "errors": errors,
    }
    if host_info.get("disk_usage"):
        row["disk_usage"] = disk_usage(host_info["disk_usage"])
    rotated, why = log_rotation(info.get("LoggingDriver"), daemon_json)
    row["log_rotation"] = rotated if row["engine_answered"] else None
    row["log_rotation_detail"] = why

    actions = row["actions"]
    if errors:
        actions.append(dict(code="audit_incomplete", action="Audit incomplete: %s" % "; ".join(errors)))
    if row["loop_lvm"]:
        actions.append(dict(code="loop_lvm", action=(
            "On devicemapper loop-lvm (sparse files that grow and never give space back): move to overlay2, or to a "
            "direct-lvm thin pool, with dockerops.host.docker_storage")))
    for label, pct in (("data", row["pool_data_percent"]), ("metadata", row["pool_metadata_percent"])):
        if pct is not None and float(pct) > POOL_FULL_PERCENT:
            actions.append(dict(code="pool_full", action=(
                "Thin pool %s at %s%% (over %d%%): extend the pool or prune images (dockerops.host.prune)"
                % (label, pct, POOL_FULL_PERCENT))))
    off = sorted(name for name, value in row["bridge_nf"].items() if value != "1")
    if off and row["engine_answered"]:
        actions.append(dict(code="bridge_nf_off", action=(
            "%s not 1 (%s): containers' bridged traffic bypasses iptables; run dockerops.host.kernel_params"
            % (", ".join(off), ", ".join("%s=%s" % (n, row["bridge_nf"][n] or "missing") for n in off)))))
    lost = {} if _is_container(facts) else _not_persisted(collected.get("sysctl"))
    if lost:
        actions.append(dict(code="not_persisted", action=(
            "Kernel parameters set now but lost at the next boot: %s; persist them with dockerops.host.kernel_params"
            % "; ".join("%s=%s (%s)" % (n, lost[n].get("actual"), lost[n].get("cause") or "not persisted")
                        for n in sorted(lost)))))
    if row["storage_driver"] == "devicemapper":
        version = row["engine_version"] or "unknown"
        actions.append(dict(code="devicemapper", action=(
            "Engine %s on devicemapper, which Engine 25 removed: move to overlay2 with dockerops.host.docker_storage "
            "before upgrading to 25.x" % version)))
    if row["log_rotation"] is False:
        actions.append(dict(code="no_log_rotation", action=(
            "No log rotation (%s): set log-opts max-size with dockerops.host.docker_daemon" % why)))
    return row


def unaudited_row(host):
    """The row of a host the audit play could not finish (unreachable, or a task failed)."""
    return build_row(host, {"errors": ["not audited: the host was unreachable or a task failed (see the play output)"]})


def order(rows):
    """Hosts that need action first (most actions first), then by name."""
    if not isinstance(rows, list):
        raise AuditError("rows must be a list, got %r" % type(rows).__name__)
    return sorted(rows, key=lambda r: (0 if r["actions"] else 1, -len(r["actions"]), r["host"]))


def fleet_summary(rows):
    return dict(hosts=len(rows), need_action=sum(1 for r in rows if r["actions"]),
                reclaimable_bytes=sum(sum(r["disk_usage"][k]["reclaimable"] for k in DF_KINDS)
                                      for r in rows if r.get("disk_usage")))


def human_size(n):
    """Decimal units as `docker system df` prints them."""
    if n is None:
        return ""
    n = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return ("%.4g%s" % (n, unit))
        n /= 1000.0
    return ""


def _cells(row):
    du = row.get("disk_usage") or {}
    bnf = row["bridge_nf"]

    def df(kind):
        d = du.get(kind)
        return ("%s (%s reclaimable)" % (human_size(d["size"]), human_size(d["reclaimable"])), d["size"]) if d else ("", -1)

    pool = ""
    if row["pool_data_percent"] is not None:
        pool = "%s%% / %s%%" % (row["pool_data_percent"], row["pool_metadata_percent"])
    cells = [
        ("Host", row["host"], row["host"]),
        ("Actions", "; ".join(a["action"] for a in row["actions"]) or "none", len(row["actions"])),
        ("OS", row["os"] or "", row["os"] or ""),
        ("Kernel", row["kernel"] or "", row["kernel"] or ""),
        ("Engine", row["engine_version"] or "", ".".join("%05d" % n for n in _version_tuple(row["engine_version"]))),
        ("Storage", (row["storage_driver"] or "") + (" (loop-lvm)" if row["loop_lvm"] else "")
         + (" (containerd image store)" if row.get("image_store") == "containerd" else ""), row["storage_driver"] or ""),
        ("Pool data / metadata", pool, row["pool_data_percent"] if row["pool_data_percent"] is not None else -1),
        ("overlay2", {True: "supported", False: "not supported", None: ""}[row["overlay2_supported"]],
         str(row["overlay2_supported"])),
        ("bridge-nf ip/ip6", "%s / %s" % (bnf.get(BRIDGE_NF[0]) or "-", bnf.get(BRIDGE_NF[1]) or "-"),
         "%s%s" % (bnf.get(BRIDGE_NF[0]), bnf.get(BRIDGE_NF[1]))),
        ("docker group", ", ".join(row["docker_group"]), len(row["docker_group"])),
        ("Log rotation", {True: "yes", False: "no", None: ""}[row["log_rotation"]], str(row["log_rotation"])),
        ("Warnings", "; ".join(row["warnings"]), len(row["warnings"])),
    ]
    for kind, title in (("images", "Images"), ("containers", "Containers"), ("volumes", "Volumes"),
                        ("build_cache", "Build cache")):
        text, key = df(kind)
        cells.append((title, text, key))
    return cells


def markdown(rows, generated=""):
    rows = order(rows)
    summary = fleet_summary(rows)
    out = ["# Docker fleet audit", ""]
    if generated:
        out += ["Generated %s." % generated, ""]
    out += ["%d hosts, %d need action; %s reclaimable." % (
        summary["hosts"], summary["need_action"], human_size(summary["reclaimable_bytes"])), ""]

    def esc(text):
        return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")

    if rows:
        header = [c[0] for c in _cells(rows[0])]
        out.append("| " + " | ".join(header) + " |")
        out.append("|" + "---|" * len(header))
        for row in rows:
            out.append("| " + " | ".join(esc(c[1]) for c in _cells(row)) + " |")
        out.append("")
    needing = [r for r in rows if r["actions"]]
    if needing:
        out += ["## Actions", ""]
        for row in needing:
            out.append("### %s" % esc(row["host"]))
            out += ["- %s" % esc(a["action"]) for a in row["actions"]]
            out.append("")
    return "\n".join(out)


_SORT_JS = """
document.querySelectorAll('th').forEach(function (th, col) {
  th.addEventListener('click', function () {
    var tbody = th.closest('table').tBodies[0];
    var asc = th.dataset.dir !== 'asc';
    th.parentNode.querySelectorAll('th').forEach(function (h) { delete h.dataset.dir; });
    th.dataset.dir = asc ? 'asc' : 'desc';
    Array.from(tbody.rows).sort(function (a, b) {
      var x = a.cells[col].dataset.sort, y = b.cells[col].dataset.sort;
      var nx = parseFloat(x), ny = parseFloat(y);
      var c = (!isNaN(nx) && !isNaN(ny) && String(nx) === x && String(ny) === y) ? nx - ny : x.localeCompare(y);
      return asc ? c : -c;
    }).forEach(function (r) { tbody.appendChild(r); });
  });
});
"""

_CSS = """
body { font-family: system-ui, sans-serif; margin: 1.5em; }
table { border-collapse: collapse; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.5em; vertical-align: top; text-align: left; }
th { background: #eee; cursor: pointer; user-select: none; }
th[data-dir=asc]::after { content: " \\25B2"; } th[data-dir=desc]::after { content: " \\25BC"; }
tr.action td { background: #fff3f0; }
"""


def render_html(rows, generated=""):
    """A self-contained page (inline CSS and JS, no external resources); click a column header to sort."""
    rows = order(rows)
    summary = fleet_summary(rows)
    e = html.escape
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             "<title>Docker fleet audit</title><style>%s</style></head><body>" % _CSS,
             "<h1>Docker fleet audit</h1>",
             "<p>%s%d hosts, %d need action; %s reclaimable.</p>" % (
                 e("Generated %s. " % generated) if generated else "", summary["hosts"], summary["need_action"],
                 e(human_size(summary["reclaimable_bytes"])))]
    parts.append('<table id="audit"><thead><tr>')
    if rows:
        parts += ["<th>%s</th>" % e(c[0]) for c in _cells(rows[0])]
    parts.append("</tr></thead><tbody>")
    for row in rows:
        parts.append('<tr class="%s" data-host="%s">' % ("action" if row["actions"] else "ok", e(row["host"])))
        parts += ['<td data-sort="%s">%s</td>' % (e(str(key)), e(str(text))) for dummy, text, key in _cells(row)]
        parts.append("</tr>")
    parts.append("</tbody></table>")
    parts.append('<script type="application/json" id="audit-data">%s</script>'
                 % json.dumps(rows, sort_keys=True).replace("</", "<\\/"))
    parts.append("<script>%s</script></body></html>" % _SORT_JS)
    return "\n".join(parts)
