# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE: shared by this collection's filters and playbooks (controller side); not a public API, may change without notice.

The fleet audit's HTML page: one self-contained file (inline CSS and JS, no
external resource, no link at all) with

- the counts across the fleet per severity, whose checkboxes filter the page
  by severity (plain inline JS; without JS everything stays shown): an
  element with one severity is hidden by a class on the body and a CSS rule,
  one with several (a host, a check) by the script when none of its
  severities is checked;
- the host table (click a column header to sort), hosts needing action first,
  each host's findings count a button that opens that host's section;
- the counts per check across the fleet (hosts, findings, per severity), and a
  section per check listing its findings on every host;
- a section per host with its actions and findings together;
- the rows as JSON in the ``audit-data`` block (``<``, ``>`` and ``&`` written
  as JSON escapes, so no ``</script>`` can end it).

The items of a host are its ``actions`` (dict(code, action, severity): the
code is shown as the check) and its ``findings`` (dict(check, cis, severity,
subject, detail, action)). Rows made before findings and severities existed
are rendered too: missing ``findings`` is no finding, an action without a
severity is ``medium`` (DEFAULT_SEVERITY, the severity of the audit's host
actions such as unrotated logs), and a row without ``severity`` has the worst
severity of its items (None with none). A row's severity is never shown less
severe than its worst item. An unknown severity is an error (AuditError).
Pure functions, so the page is unit-tested."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import html
import json

from ansible_collections.dockerops.host.plugins.plugin_utils import _audit as audit
from ansible_collections.dockerops.host.plugins.plugin_utils._audit_engine import SEVERITIES

DEFAULT_SEVERITY = "medium"
# The filter's value for hosts with no action and no finding.
NONE = "none"
RANK = dict((s, i) for i, s in enumerate(SEVERITIES))

_JS = """
document.querySelectorAll('table.sortable th').forEach(function (th) {
  th.addEventListener('click', function () {
    var col = th.cellIndex, tbody = th.closest('table').tBodies[0];
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
function applyFilter() {
  var on = {};
  document.querySelectorAll('input.sev').forEach(function (i) {
    on[i.value] = i.checked;
    document.body.classList.toggle('hide-' + i.value, !i.checked);
  });
  document.querySelectorAll('[data-sev*=" "]').forEach(function (el) {
    el.hidden = !el.dataset.sev.split(' ').some(function (s) { return on[s]; });
  });
}
document.querySelectorAll('input.sev').forEach(function (i) { i.addEventListener('change', applyFilter); });
document.addEventListener('click', function (ev) {
  var b = ev.target.closest('button[data-open]');
  if (!b) { return; }
  var d = document.getElementById(b.dataset.open);
  d.hidden = false;
  d.open = true;
  d.scrollIntoView();
});
"""

_CSS = """
body { font-family: system-ui, sans-serif; margin: 1.5em; }
table { border-collapse: collapse; font-size: 0.9em; margin-bottom: 1em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.5em; vertical-align: top; text-align: left; }
th { background: #eee; }
table.sortable th { cursor: pointer; user-select: none; }
th[data-dir=asc]::after { content: " \\25B2"; } th[data-dir=desc]::after { content: " \\25BC"; }
tr.action td { background: #fff3f0; }
details { margin: 0.3em 0; } summary { cursor: pointer; }
button.open { font: inherit; cursor: pointer; }
.sev-critical { color: #fff; background: #8b0000; } .sev-high { color: #fff; background: #d9480f; }
.sev-medium { background: #ffd43b; } .sev-low { background: #d0ebff; } .sev-info { background: #e9ecef; }
[hidden] { display: none !important; }
""" + "".join('body.hide-%s [data-sev="%s"] { display: none; }\n' % (s, s) for s in SEVERITIES + (NONE,))


def _severity(host, value):
    if value not in RANK:
        raise audit.AuditError("%s: unknown severity %r, expected one of %s" % (host, value, ", ".join(SEVERITIES)))
    return value


def items(row):
    """A host's actions and findings as one list of dict(kind, check, cis, severity, subject, detail, action),
    most severe first, actions before findings, then by check and subject."""
    host = row["host"]
    out = [dict(kind="action", check=a.get("code") or "", cis=None,
                severity=_severity(host, a.get("severity") or DEFAULT_SEVERITY),
                subject="", detail="", action=a.get("action") or "")
           for a in row.get("actions") or []]
    out += [dict(kind="finding", check=f.get("check") or "", cis=f.get("cis"),
                 severity=_severity(host, f.get("severity") or DEFAULT_SEVERITY),
                 subject=f.get("subject") or "", detail=f.get("detail") or "", action=f.get("action") or "")
            for f in row.get("findings") or []]
    return sorted(out, key=lambda i: (RANK[i["severity"]], i["kind"] != "action", i["check"], i["subject"]))


def host_severity(row, host_items):
    """The worst of the row's severity and its items' severities, None when there is none."""
    found = [i["severity"] for i in host_items]
    if row.get("severity") is not None:
        found.append(_severity(row["host"], row["severity"]))
    return min(found, key=RANK.get) if found else None


def fleet(rows):
    """Ordered rows and what the page counts: per host (items, severity), per severity and per check."""
    if not isinstance(rows, list):
        raise audit.AuditError("rows must be a list, got %r" % type(rows).__name__)
    # Checked before audit.order ranks the rows by severity.
    known = dict((id(row), items(row)) for row in rows)
    for row in rows:
        host_severity(row, [])
    rows = audit.order(rows)
    hosts = [dict(row=row, items=known[id(row)], severity=host_severity(row, known[id(row)])) for row in rows]
    by_severity = dict((s, dict(worst=0, hosts=0, findings=0, actions=0)) for s in SEVERITIES)
    checks = {}
    for h in hosts:
        if h["severity"]:
            by_severity[h["severity"]]["worst"] += 1
        for s in set(i["severity"] for i in h["items"]):
            by_severity[s]["hosts"] += 1
        for i in h["items"]:
            by_severity[i["severity"]]["findings" if i["kind"] == "finding" else "actions"] += 1
            c = checks.setdefault(i["check"], dict(check=i["check"], cis=None, hosts=set(), entries=[],
                                                   severities=dict((s, 0) for s in SEVERITIES)))
            c["cis"] = c["cis"] or i["cis"]
            c["hosts"].add(h["row"]["host"])
            c["entries"].append((h["row"]["host"], i))
            c["severities"][i["severity"]] += 1
    check_list = sorted(checks.values(),
                        key=lambda c: (min(RANK[s] for s, n in c["severities"].items() if n), -len(c["entries"]),
                                       c["check"]))
    clean = sum(1 for h in hosts if not h["items"])
    return dict(rows=rows, hosts=hosts, by_severity=by_severity, checks=check_list, clean=clean)


def _e(value):
    return html.escape("" if value is None else str(value), quote=True)


def _sev_cell(severity):
    if not severity:
        return '<td data-sort="%d"></td>' % len(SEVERITIES)
    return '<td class="sev-%s" data-sort="%d">%s</td>' % (severity, RANK[severity], severity)


def _sev_attr(its):
    """The data-sev attribute's value: the severities present, or none."""
    present = sorted(set(i["severity"] for i in its), key=RANK.get)
    return " ".join(present) if present else NONE


def _severity_table(data):
    out = ['<table id="severities"><thead><tr><th>Show</th><th>Hosts at worst</th><th>Hosts with it</th>'
           "<th>Findings</th><th>Host actions</th></tr></thead><tbody>"]
    for s in SEVERITIES:
        c = data["by_severity"][s]
        out.append('<tr data-severity="%s"><td class="sev-%s"><label><input type="checkbox" class="sev" value="%s" '
                   "checked> %s</label></td><td>%d</td><td>%d</td><td>%d</td><td>%d</td></tr>"
                   % (s, s, s, s, c["worst"], c["hosts"], c["findings"], c["actions"]))
    out.append('<tr data-severity="%s"><td><label><input type="checkbox" class="sev" value="%s" checked> '
               "nothing to do</label></td><td>%d</td><td></td><td></td><td></td></tr>" % (NONE, NONE, data["clean"]))
    out.append("</tbody></table>")
    return out


def _host_table(data):
    hosts = data["hosts"]
    out = ['<table id="audit" class="sortable"><thead><tr>']
    if hosts:
        names = [c[0] for c in audit._cells(hosts[0]["row"])]
        out += ["<th>%s</th>" % _e(n) for n in names[:1] + ["Severity", "Findings"] + names[1:]]
    out.append("</tr></thead><tbody>")
    for n, h in enumerate(hosts):
        row = h["row"]
        cells = ['<td data-sort="%s">%s</td>' % (_e(key), _e(text)) for dummy, text, key in audit._cells(row)]
        count = len(h["items"])
        button = ('<button type="button" class="open" data-open="host-%d">%d</button>' % (n, count)) if count else "0"
        cells[1:1] = [_sev_cell(h["severity"]), '<td data-sort="%d">%s</td>' % (count, button)]
        needs = row["actions"] or any(i["severity"] != "info" for i in h["items"])
        out.append('<tr class="%s" data-host="%s" data-sev="%s">%s</tr>' % (
            "action" if needs else "ok", _e(row["host"]), _sev_attr(h["items"]), "".join(cells)))
    out.append("</tbody></table>")
    return out


def _check_table(data):
    out = ['<table id="checks" class="sortable"><thead><tr><th>Check</th><th>CIS</th><th>Hosts</th><th>Total</th>']
    out += ["<th>%s</th>" % s for s in SEVERITIES]
    out.append("</tr></thead><tbody>")
    for n, c in enumerate(data["checks"]):
        its = [i for dummy, i in c["entries"]]
        out.append('<tr data-check="%s" data-sev="%s"><td data-sort="%s"><button type="button" class="open" '
                   'data-open="check-%d">%s</button></td><td data-sort="%s">%s</td><td data-sort="%d">%d</td>'
                   '<td data-sort="%d">%d</td>%s</tr>' % (
                       _e(c["check"]), _sev_attr(its), _e(c["check"]), n, _e(c["check"]), _e(c["cis"]), _e(c["cis"]),
                       len(c["hosts"]), len(c["hosts"]), len(its), len(its),
                       "".join('<td data-sort="%d">%d</td>' % (c["severities"][s], c["severities"][s])
                               for s in SEVERITIES)))
    out.append("</tbody></table>")
    return out


def _check_sections(data):
    """Per check: its action (or actions) and one line per host and severity: the subjects with their details."""
    out = []
    for n, c in enumerate(data["checks"]):
        its = [i for dummy, i in c["entries"]]
        out.append('<details class="check" id="check-%d" data-sev="%s"><summary>%s%s: %d on %d hosts</summary>' % (
            n, _sev_attr(its), _e(c["check"]), (" (CIS %s)" % _e(c["cis"])) if c["cis"] else "", len(its),
            len(c["hosts"])))
        out.append("<p>Action: %s</p>" % _e(" | ".join(sorted(set(i["action"] for i in its)))))
        per_host = {}
        for host, i in c["entries"]:
            per_host.setdefault((host, i["severity"]), []).append(i)
        out.append('<ul class="hosts">')
        for (host, severity), host_items in per_host.items():
            out.append('<li data-sev="%s"><b>%s</b> (%s): %s</li>' % (severity, _e(host), severity, _e(
                _subjects(host_items))))
        out.append("</ul></details>")
    return out


def _subjects(group):
    return "; ".join("%s%s" % (i["subject"] or "host", (" (%s)" % i["detail"]) if i["detail"] else "") for i in group)


def grouped(host_items):
    """A host's items grouped by severity, kind, check and action, in the items' order: [(item, [items])]."""
    groups = {}
    for i in host_items:
        groups.setdefault((i["severity"], i["kind"], i["check"], i["action"]), (i, []))[1].append(i)
    return list(groups.values())


def _host_sections(data):
    """Per host with actions or findings: one table row per check (and severity, and action) with its subjects."""
    out = []
    for n, h in enumerate(data["hosts"]):
        if not h["items"]:
            continue
        findings = sum(1 for i in h["items"] if i["kind"] == "finding")
        out.append('<details class="host" id="host-%d" data-sev="%s"><summary>%s: %s, %d actions, %d findings'
                   "</summary>" % (n, _sev_attr(h["items"]), _e(h["row"]["host"]), h["severity"],
                                   len(h["items"]) - findings, findings))
        out.append('<table class="items"><thead><tr><th>Severity</th><th>Check (CIS)</th><th>Count</th>'
                   "<th>Subjects and details</th><th>Action</th></tr></thead><tbody>")
        for i, group in grouped(h["items"]):
            out.append('<tr data-sev="%s">%s<td>%s</td><td>%d</td><td>%s</td><td>%s</td></tr>' % (
                i["severity"], _sev_cell(i["severity"]), _e(i["check"] + (" (%s)" % i["cis"] if i["cis"] else "")),
                len(group), _e(_subjects(group) if i["kind"] == "finding" else ""), _e(i["action"])))
        out.append("</tbody></table></details>")
    return out


def json_block(rows):
    """The rows as JSON for a script element: <, > and & as JSON escapes (json.loads gives the rows back)."""
    text = json.dumps(rows, sort_keys=True, separators=(",", ":"))
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def render_html(rows, generated=""):
    """The report page for the rows (see the module's docstring)."""
    data = fleet(rows)
    summary = audit.fleet_summary(data["rows"])
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             "<title>Docker fleet audit</title><style>%s</style></head><body>" % _CSS,
             "<h1>Docker fleet audit</h1>",
             '<p id="summary">%s%d hosts, %d need action; %s reclaimable.</p>' % (
                 _e("Generated %s. " % generated) if generated else "", summary["hosts"], summary["need_action"],
                 _e(audit.human_size(summary["reclaimable_bytes"])))]
    parts.append("<h2>Severities</h2>")
    parts += _severity_table(data)
    parts.append("<h2>Hosts</h2>")
    parts += _host_table(data)
    parts.append("<h2>Checks across the fleet</h2>")
    parts += _check_table(data)
    parts += _check_sections(data)
    parts.append("<h2>Findings by host</h2>")
    parts += _host_sections(data)
    parts.append('<script type="application/json" id="audit-data">%s</script>' % json_block(data["rows"]))
    parts.append("<script>%s</script></body></html>" % _JS)
    return "\n".join(parts)
