#!/usr/bin/env python3
"""A generated fleet for the audit report: rows as playbooks/audit.yml builds them, for N hosts, seeded.

Each host's row is audit.build_row's on generated collected data (Debian/Ubuntu releases, engines 20.10 to 28,
overlay2 or devicemapper loop-lvm, bridge-nf on or off, daemon.json with or without log rotation, disk usage), and
its findings are build_row's (or, with a build_row from before findings, audit_engine.findings') on a generated
docker_audit_info result (containers privileged or not, with
the socket or /etc mounted, host namespaces, limits, restart policies, writable layers; images with many layers,
docker commit entries, remote ADD, apt-get update alone, no HEALTHCHECK, many tags, old and unused). Every severity
occurs in a fleet of 50 hosts or more. Rows of collections from before findings existed get the agreed schema here:
actions without a severity get ACTION_SEVERITY's, and the row's severity is its worst.

  python3 tests/bench/audit_fleet.py [--hosts 500] [--runs 5]   prints the HTML measurement as JSON
"""
import argparse
import html.parser
import json
import os
import random
import runpy
import statistics
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _collection_on_path():
    """Import the collection as ansible_collections.dockerops.host: tests/unit/conftest.py's own setup, run here."""
    runpy.run_path(os.path.join(ROOT, "tests", "unit", "conftest.py"))


_collection_on_path()

from ansible_collections.dockerops.host.plugins.plugin_utils import _audit as audit, _audit_engine as audit_engine, _audit_html as audit_html  # noqa: E402

SEVERITIES = audit_engine.SEVERITIES
# The host actions' severities, for rows built before build_row ranked them.
ACTION_SEVERITY = dict(audit_incomplete="high", loop_lvm="high", pool_full="high", devicemapper="high",
                       bridge_nf_off="medium", not_persisted="medium", no_log_rotation="medium")
NOW = "2026-11-29T12:00:00.000000000Z"
DAY = 86400
OSES = (("Debian", "12.15", "6.1.0-50-amd64"), ("Debian", "13.2", "6.12.57+deb13-amd64"),
        ("Ubuntu", "22.04", "5.15.0-140-generic"), ("Ubuntu", "24.04", "6.8.0-88-generic"))
ENGINES = ("20.10.24", "24.0.9", "26.1.5", "27.3.1", "28.5.2")
APPS = ("nginx", "postgres", "redis", "grafana", "prometheus", "traefik", "rabbitmq", "elasticsearch", "app", "worker")


def _iso(seconds):
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000000Z", time.gmtime(seconds))


def _collected(rng, host):
    distro, version, kernel = rng.choice(OSES)
    engine = rng.choice(ENGINES)
    loop = engine.startswith("20.") and rng.random() < 0.5
    driver = "devicemapper" if loop else "overlay2"
    bridge = "1" if rng.random() < 0.9 else "0"
    rotated = rng.random() < 0.7
    daemon_json = {"log-driver": "json-file"}
    if rotated:
        daemon_json["log-opts"] = {"max-size": "10m", "max-file": "3"}
    images = [dict(Containers=rng.randint(0, 2), Size=s, SharedSize=0) for s in
              (rng.randint(5, 900) * 10 ** 6 for _ in range(rng.randint(1, 12)))]
    sizes = [rng.randint(0, 300) * 10 ** 6 for _ in range(rng.randint(0, 8))]
    return {
        "facts": {"distribution": distro, "distribution_version": version, "kernel": kernel},
        "storage": {"engine": {"answered": True, "version": engine, "storage_driver": driver},
                    "devicemapper": ({"loop_lvm": True, "data_percent": round(rng.uniform(5, 95), 1),
                                      "metadata_percent": round(rng.uniform(1, 30), 1)} if loop else {}),
                    "overlay2": {"supported": True, "reasons": ["ok"]}},
        "sysctl": {"parameters": {name: {"actual": bridge} for name in audit.BRIDGE_NF}},
        "group": sorted(rng.sample(["alice", "bob", "ci", "deploy"], rng.randint(0, 2))),
        "daemon_json": json.dumps(daemon_json),
        "host_info": {"host_info": {"ServerVersion": engine, "Driver": driver, "LoggingDriver": "json-file",
                                    "Warnings": (["WARNING: the devicemapper storage-driver is deprecated"]
                                                 if loop else None),
                                    "LiveRestoreEnabled": rng.random() < 0.3,
                                    "SecurityOptions": ["name=seccomp,profile=builtin"]
                                    + (["name=userns"] if rng.random() < 0.1 else [])},
                      "disk_usage": {"LayersSize": sum(i["Size"] for i in images), "Images": images,
                                     "Containers": [dict(State=rng.choice(("running", "exited")), SizeRw=s)
                                                    for s in sizes],
                                     "Volumes": [], "BuildCache": []}},
        "audit_info": audit_info(rng),
        "errors": [] if rng.random() < 0.98 else ["docker_host_info: timeout"],
    }


def _container(rng, n, now):
    started = now - rng.randint(0, 60) * DAY
    mounts = []
    if rng.random() < 0.03:
        mounts.append(dict(Type="bind", Source="/var/run/docker.sock", Destination="/var/run/docker.sock", RW=True))
    if rng.random() < 0.05:
        mounts.append(dict(Type="bind", Source="/etc", Destination="/host/etc", RW=rng.random() < 0.5))
    return {
        "Name": "%s-%d" % (rng.choice(APPS), n),
        "SizeRw": rng.choice((0, 4096, 12 * 10 ** 6, 220 * 1024 * 1024)),
        "Mounts": mounts,
        "ImageID": "sha256:%064x" % rng.randint(0, 5),
        "State": {"Status": "running", "Running": True, "StartedAt": _iso(started)},
        "HostConfig": {"Privileged": rng.random() < 0.02, "NetworkMode": rng.choice(("bridge",) * 9 + ("host",)),
                       "PidMode": "host" if rng.random() < 0.02 else "", "IpcMode": "private",
                       "Memory": rng.choice((0, 512 * 1024 * 1024)), "NanoCpus": rng.choice((0, 0, 10 ** 9)),
                       "CpuShares": 0, "CpuQuota": 0,
                       "RestartPolicy": {"Name": rng.choice(("no", "always", "unless-stopped", "on-failure")),
                                         "MaximumRetryCount": rng.choice((0, 3))},
                       "LogConfig": {"Type": "json-file",
                                     "Config": {"max-size": "10m"} if rng.random() < 0.6 else {}}},
    }


def _image(rng, n, now):
    history = [{"CreatedBy": "/bin/sh -c #(nop)  CMD [\"bash\"]", "Comment": ""}]
    if rng.random() < 0.05:
        history.append({"CreatedBy": "bash", "Comment": "fixed by hand"})
    if rng.random() < 0.05:
        history.append({"CreatedBy": "ADD https://example.invalid/tool-%d.tar.gz /opt/ # buildkit" % n,
                        "Comment": "buildkit.dockerfile.v0"})
    if rng.random() < 0.1:
        history.append({"CreatedBy": "RUN /bin/sh -c apt-get update # buildkit", "Comment": "buildkit.dockerfile.v0"})
    history.append({"CreatedBy": "/bin/sh -c #(nop) ADD file:%064x in / " % n, "Comment": ""})
    tags = ["registry.example.invalid/%s:%d.%d" % (rng.choice(APPS), n, t)
            for t in range(rng.choice((1, 1, 1, 2, 7)))]
    return {"Id": "sha256:%064x" % n, "RepoTags": tags, "Layers": rng.choice((5, 12, 25, 41, 110)),
            "History": history, "Created": _iso(now - rng.randint(1, 400) * DAY),
            "Healthcheck": {"Test": ["CMD", "true"]} if rng.random() < 0.4 else None}


def audit_info(rng):
    """A docker_audit_info result, as audit_engine.findings reads it."""
    now = audit_engine.parse_time(NOW)
    return {"daemon": {"info": {"SystemTime": NOW}},
            "containers": [_container(rng, n, now) for n in range(rng.randint(0, 12))],
            "images": [_image(rng, n, now) for n in range(rng.randint(0, 8))]}


def row(rng, host):
    r = audit.build_row(host, _collected(rng, host))
    for a in r["actions"]:
        a.setdefault("severity", ACTION_SEVERITY.get(a["code"], audit_html.DEFAULT_SEVERITY))
    if "findings" not in r:
        r["findings"] = audit_engine.findings(audit_info(rng))
    # Rows of a build_row from before severities: the agreed schema.
    if r.get("severity") is None:
        found = [a["severity"] for a in r["actions"]] + [f["severity"] for f in r["findings"]]
        r["severity"] = min(found, key=audit_engine.severity_rank) if found else None
    return r


def fleet_rows(hosts=500, seed=18):
    rng = random.Random(seed)
    return [row(rng, "host-%03d.dc%d.example.invalid" % (n, n % 3)) for n in range(hosts)]


class Dom(html.parser.HTMLParser):
    """What a browser builds from the page: elements, table rows and cells (per table id, or class for the
    sections' tables), the collapsed sections (details, laid out only when opened) and the cells outside them
    (laid out when the page opens)."""

    def __init__(self):
        super().__init__()
        self.elements, self.tables, self.details, self._table = 0, {}, 0, []
        self.cells_shown, self._closed = 0, 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.elements += 1
        if tag == "table":
            self._table.append(attrs.get("id") or attrs.get("class") or "table")
            self.tables.setdefault(self._table[-1], dict(tables=0, rows=0, cells=0))["tables"] += 1
        elif tag == "tr" and self._table:
            self.tables[self._table[-1]]["rows"] += 1
        elif tag in ("td", "th") and self._table:
            self.tables[self._table[-1]]["cells"] += 1
            self.cells_shown += 0 if self._closed else 1
        elif tag == "details":
            self.details += 1
            self._closed += 0 if "open" in attrs else 1

    def handle_endtag(self, tag):
        if tag == "table":
            self._table.pop()
        elif tag == "details" and self._closed:
            self._closed -= 1


def measure(hosts=500, runs=5, seed=18):
    """render_html on a generated fleet: seconds per run, the page's size and its DOM."""
    rows = fleet_rows(hosts, seed)
    times, page = [], ""
    for dummy in range(runs):
        start = time.perf_counter()
        page = audit_html.render_html(rows, "2026-11-29T12:00:00Z")
        times.append(time.perf_counter() - start)
    dom = Dom()
    dom.feed(page)
    findings = sum(len(r["findings"]) for r in rows)
    return {"hosts": hosts, "runs": [round(t, 3) for t in times], "median": statistics.median(times),
            "bytes": len(page.encode("utf-8")), "json_bytes": len(audit_html.json_block(rows).encode("utf-8")),
            "findings": findings, "actions": sum(len(r["actions"]) for r in rows), "dom_elements": dom.elements,
            "table_rows": sum(t["rows"] for t in dom.tables.values()),
            "table_cells": sum(t["cells"] for t in dom.tables.values()), "details": dom.details,
            "cells_shown": dom.cells_shown,
            "tables": dom.tables}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--hosts", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--write", help="also write the page to this file")
    args = parser.parse_args()
    if args.write:
        with open(args.write, "w") as f:
            f.write(audit_html.render_html(fleet_rows(args.hosts, args.seed), "2026-11-29T12:00:00Z"))
    print(json.dumps(measure(args.hosts, args.runs, args.seed), indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
