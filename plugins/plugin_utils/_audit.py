# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE: shared by this collection's filters and playbooks (controller side); not a public API, may change without notice.

The fleet audit: one row per host from what the audit play collected,
the actions a host needs, the fleet ordering, and the Markdown rendering
of the report (the HTML page is audit_html.py's). Pure functions, so the
report is unit-tested."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.dockerops.host.plugins.module_utils._docker_engine import version_tuple
from ansible_collections.dockerops.host.plugins.plugin_utils import _audit_daemon as audit_daemon, _audit_engine as audit_engine, _audit_fleet as audit_fleet

POOL_FULL_PERCENT = 80.0
BRIDGE_NF = ("net.bridge.bridge-nf-call-iptables", "net.bridge.bridge-nf-call-ip6tables")
# Logging drivers whose files the engine does not keep (journald, syslog, remote
# drivers) or rotates by default (local).
ROTATED_ELSEWHERE = {"local", "journald", "syslog", "none", "fluentd", "gelf", "awslogs", "splunk", "etwlogs",
                     "gcplogs", "logentries"}
DF_KINDS = ("images", "containers", "volumes", "build_cache")
# The Markdown report lists a host's most severe findings only; the JSON and HTML have them all.
MARKDOWN_FINDINGS = 20
# The groups of checks dockerops_audit_checks selects, and the group of each action and finding.
CHECK_GROUPS = ("host", "daemon", "files", "containers", "images")
ACTION_SEVERITY = dict(audit_incomplete="high", loop_lvm="high", pool_full="critical", devicemapper="high",
                       bridge_nf_off="medium", not_persisted="medium", no_log_rotation="medium",
                       duplicate_identity="high")
ACTION_GROUP = dict(audit_incomplete=None, loop_lvm="daemon", pool_full="daemon", devicemapper="daemon",
                    bridge_nf_off="host", not_persisted="host", no_log_rotation="daemon", duplicate_identity="host")


class AuditError(ValueError):
    pass


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


def _words(value):
    if isinstance(value, str):
        value = value.strip().strip("[]").split(",")
    if not isinstance(value, (list, tuple)):
        return None
    return [str(v).strip().strip("'\"") for v in value if str(v).strip().strip("'\"")]


def options(checks=None, fail_on=None, fail_on_action=False):
    """dockerops_audit_checks (a list, or names separated by commas; None or empty: all), dockerops_audit_fail_on
    (a severity or empty: never) and the older dockerops_audit_fail_on_action, checked; the error names the bad
    value and what is allowed."""
    names = list(CHECK_GROUPS) if checks in (None, "", []) else _words(checks)
    if names is None:
        raise AuditError("dockerops_audit_checks must be a list of %s; got %r" % (", ".join(CHECK_GROUPS), checks))
    bad = [n for n in names if n not in CHECK_GROUPS]
    if bad or not names:
        raise AuditError("dockerops_audit_checks must name some of %s; got %s" % (
            ", ".join(CHECK_GROUPS), ", ".join(repr(b) for b in bad) or repr(checks)))
    threshold = "" if fail_on is None else str(fail_on).strip().lower()
    if threshold not in ("",) + audit_engine.SEVERITIES:
        raise AuditError("dockerops_audit_fail_on must be empty (never fail) or one of %s; got %r"
                         % (", ".join(audit_engine.SEVERITIES), fail_on))
    if str(fail_on_action).lower() not in ("true", "false", "yes", "no", "1", "0", "none", ""):
        raise AuditError("dockerops_audit_fail_on_action must be a boolean; got %r" % (fail_on_action,))
    checks = [g for g in CHECK_GROUPS if g in names]
    return dict(checks=checks, fail_on=threshold, fail_on_action=str(fail_on_action).lower() in ("true", "yes", "1"),
                gather=sdk_gather(checks))


def sdk_gather(checks):
    """What docker_audit_info reads for these check groups (its gather; empty: it is not run): the containers and
    images for their groups, and the registry mirrors' probes for the daemon's."""
    return [w for g, w in (("containers", "containers"), ("images", "images"), ("daemon", "mirrors")) if g in checks]


def worst(severities):
    ranked = sorted(set(severities), key=audit_engine.severity_rank)
    return ranked[0] if ranked else None


def _stats(files):
    """{path: stat} from ansible.builtin.stat's looped results (a dict is taken as it is)."""
    if isinstance(files, dict):
        return files
    return dict((r["item"], r["stat"]) for r in files if isinstance(r, dict) and "stat" in r and "item" in r)


def _findings(collected, info, daemon_json, checks, errors):
    rows = []
    result = collected.get("audit_info") or {}
    if result and ("containers" in checks or "images" in checks):
        try:
            if "containers" in checks:
                rows += audit_engine.container_findings(result)
            if "images" in checks:
                rows += audit_engine.image_findings(result)
        except audit_engine.AuditEngineError as e:
            errors.append("docker_audit_info: %s" % e)
    if info and "daemon" in checks:
        probes = result.get("mirrors") if "mirrors" in (result.get("gathered") or []) else None
        rows += audit_daemon.daemon_findings(info, daemon_json, probes)
    if "files" in checks and collected.get("files"):
        rows += audit_daemon.file_findings(_stats(collected["files"]), daemon_json)
    if info and "host" in checks:
        rows += audit_daemon.host_findings(info, collected.get("mounts"))
    return audit_engine.sort_findings(rows)


def build_row(host, collected):
    """One report row for a host from what the audit play registered:
    facts (setup min), storage (docker_storage_facts), sysctl (sysctl_check),
    group (getent), daemon_json (parsed daemon.json or None), host_info
    (docker_host_info with disk_usage), audit_info (docker_audit_info), files
    (ansible.builtin.stat's looped results, or {path: stat}), mounts (Ansible's mounts facts), network (the setup
    module's network facts, as ansible_facts holds them) and product_uuid (/sys/class/dmi/id/product_uuid's text), for
    the host's identity, which fleet() compares across hosts; checks (the groups to run, default all), errors (list of
    strings)."""
    if not isinstance(collected, dict):
        raise AuditError("audit data for %s must be a dict, got %r" % (host, type(collected).__name__))
    checks = options(collected.get("checks"))["checks"]
    facts = collected.get("facts") or {}
    storage = collected.get("storage") or {}
    engine = storage.get("engine") or {}
    dm = storage.get("devicemapper") or {}
    overlay2 = storage.get("overlay2") or {}
    host_info = collected.get("host_info") or {}
    info = host_info.get("host_info") or {}
    errors = list(collected.get("errors") or [])
    # Without the container and image checks, docker_audit_info ran for the registry mirrors' probe alone: its
    # failure (most often no Docker SDK on the host, as on EL without EPEL) leaves the mirrors listed, not judged,
    # and is a warning, not an incomplete audit.
    unprobed = []
    if "containers" not in checks and "images" not in checks:
        unprobed = [e for e in errors if e.startswith("docker_audit_info: ")]
        errors = [e for e in errors if not e.startswith("docker_audit_info: ")]
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
        "warnings": list(info.get("Warnings") or []) + ["registry mirrors not probed (%s)" % e for e in unprobed],
        "logging_driver": info.get("LoggingDriver"),
        "disk_usage": None,
        "checks": checks,
        # Machine identity (product_uuid, MACs) that fleet() compares; not for a container (its host's) or without
        # the host checks.
        "identity": (audit_fleet.identity(collected.get("network") or {}, collected.get("product_uuid"))
                     if "host" in checks and not _is_container(facts) else None),
        "actions": [],
        "findings": [],
        "severity": None,
        "errors": errors,
    }
    if host_info.get("disk_usage"):
        row["disk_usage"] = disk_usage(host_info["disk_usage"])
    rotated, why = log_rotation(info.get("LoggingDriver"), daemon_json)
    row["log_rotation"] = rotated if row["engine_answered"] else None
    row["log_rotation_detail"] = why

    if not info and (collected.get("audit_info") or {}).get("daemon"):
        info = collected["audit_info"]["daemon"]["info"]
    row["findings"] = _findings(collected, info, daemon_json if isinstance(daemon_json, dict) else {}, checks, errors)
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
            "No log rotation (%s; CIS 2.13): set log-opts max-size with dockerops.host.docker_daemon" % why)))
    row["actions"] = [dict(a, severity=ACTION_SEVERITY[a["code"]]) for a in actions
                      if ACTION_GROUP[a["code"]] in (None,) + tuple(checks)]
    row["severity"] = worst([a["severity"] for a in row["actions"]] + [f["severity"] for f in row["findings"]])
    return row


def unaudited_row(host):
    """The row of a host the audit play could not finish (unreachable, or a task failed)."""
    return build_row(host, {"errors": ["not audited: the host was unreachable or a task failed (see the play output)"]})


def fleet(rows):
    """The rows, with a duplicate_identity action on every host whose product_uuid or MAC address another host has
    too (audit_fleet.duplicates), its severity raised to match. Rows without an identity are not compared."""
    if not isinstance(rows, list):
        raise AuditError("rows must be a list, got %r" % type(rows).__name__)
    found = audit_fleet.duplicates({r["host"]: r.get("identity") for r in rows})
    out = []
    for row in rows:
        texts = found.get(row["host"], [])
        if texts:
            row = dict(row, actions=list(row["actions"]) + [
                dict(code="duplicate_identity", action=t, severity=ACTION_SEVERITY["duplicate_identity"])
                for t in texts])
            row["severity"] = worst([a["severity"] for a in row["actions"]] +
                                    [f["severity"] for f in row.get("findings") or []])
        out.append(row)
    return out


def _rank(row):
    return audit_engine.severity_rank(row["severity"]) if row.get("severity") else len(audit_engine.SEVERITIES)


def needs_action(row):
    """Whether a host has an action, or a finding more severe than info."""
    return bool(row["actions"]) or any(f["severity"] != "info" for f in row.get("findings") or [])


def order(rows):
    """Hosts by their worst severity (critical first, none last), then by how many actions and findings they have
    (most first), then by name."""
    if not isinstance(rows, list):
        raise AuditError("rows must be a list, got %r" % type(rows).__name__)
    return sorted(rows, key=lambda r: (_rank(r), -(len(r["actions"]) + len(r.get("findings") or [])), r["host"]))


def gate(rows, fail_on):
    """The hosts a CI gate fails on: one line per host with its actions and findings at fail_on or above; empty
    when fail_on is empty."""
    if not fail_on:
        return []
    audit_engine.severity_rank(fail_on)
    lines = []
    for row in order(rows):
        items = ["%s %s" % (a["severity"], a["code"]) for a in row["actions"]
                 if audit_engine.at_least(a["severity"], fail_on)]
        items += ["%s %s%s (%s)" % (f["severity"], f["check"], " CIS " + f["cis"] if f["cis"] else "", f["subject"])
                  for f in row.get("findings") or [] if audit_engine.at_least(f["severity"], fail_on)]
        if items:
            lines.append("%s: %s" % (row["host"], "; ".join(items)))
    return lines


def fleet_summary(rows):
    return dict(hosts=len(rows), need_action=sum(1 for r in rows if needs_action(r)),
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


def _version_key(version):
    """The engine column's sort key: the version's numbers zero-padded, "" for a host without a version."""
    return ".".join("%05d" % n for n in version_tuple(version)) if version else ""


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
        ("Engine", row["engine_version"] or "", _version_key(row["engine_version"])),
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
            out += ["- %s: %s" % (a["severity"], esc(a["action"])) for a in row["actions"]]
            out.append("")
    found = [r for r in rows if r.get("findings")]
    if found:
        out += ["## Findings", ""]
        for row in found:
            out.append("### %s" % esc(row["host"]))
            out += ["- %s%s %s, %s: %s (%s)" % (f["severity"], " CIS " + f["cis"] if f["cis"] else "", f["check"],
                                                esc(f["subject"]), esc(f["detail"]), esc(f["action"]))
                    for f in row["findings"][:MARKDOWN_FINDINGS]]
            if len(row["findings"]) > MARKDOWN_FINDINGS:
                out.append("- and %d more, less severe (audit.json, audit.html)"
                           % (len(row["findings"]) - MARKDOWN_FINDINGS))
            out.append("")
    return "\n".join(out)
