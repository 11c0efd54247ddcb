"""The audit's HTML page (plugins/plugin_utils/_audit_html.py): counts, filters, sections, escaping and a 500-host
fleet made by tests/bench/audit_fleet.py (seeded), each page parsed with html.parser as a browser reads it."""
import collections
import html.parser
import importlib.util
import json
import os

import pytest

from ansible_collections.dockerops.host.plugins.plugin_utils import _audit as audit, _audit_html as audit_html
from ansible_collections.dockerops.host.plugins.plugin_utils._audit_engine import SEVERITIES

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("audit_fleet", os.path.join(os.path.dirname(HERE), "bench",
                                                                          "audit_fleet.py"))
audit_fleet = importlib.util.module_from_spec(spec)
spec.loader.exec_module(audit_fleet)
GENERATED = "2026-11-29T12:00:00Z"


class Page(html.parser.HTMLParser):
    """Elements with their attributes and text; tables as lists of rows of (attrs, [(cell attrs, text)])."""

    def __init__(self, text):
        super().__init__()
        self.elements, self.tables, self.scripts, self.items = [], {}, [], collections.defaultdict(list)
        self._stack, self._table, self._row, self._text = [], [], None, None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.elements.append((tag, attrs))
        if tag == "table":
            self._table.append([])
            self.tables.setdefault(attrs.get("id") or attrs.get("class"), []).append(self._table[-1])
        elif tag == "tr":
            self._row = (attrs, [])
            self._table[-1].append(self._row)
        elif tag in ("td", "th", "li", "summary", "script", "p", "h1", "h2"):
            self._text = (tag, attrs, [])
        if tag == "details":
            self._stack.append(attrs["id"])

    def handle_endtag(self, tag):
        if tag == "table":
            self._table.pop()
        elif tag == "details":
            self._stack.pop()
        elif self._text and tag == self._text[0]:
            tag, attrs, parts = self._text
            text = "".join(parts)
            if tag in ("td", "th"):
                self._row[1].append((attrs, text))
            elif tag == "script":
                self.scripts.append((attrs, text))
            else:
                self.items[self._stack[-1] if self._stack and tag in ("li", "summary") else tag].append((attrs, text))
            self._text = None

    def handle_data(self, data):
        if self._text:
            self._text[2].append(data)

    def table(self, key, index=0):
        return self.tables[key][index]


def finding(check, severity, subject, detail="d", cis=None, action="fix it"):
    return dict(check=check, cis=cis, severity=severity, subject=subject, detail=detail, action=action)


def base(host, **over):
    """A row as build_row makes it for an unaudited host, with the schema's keys set by hand."""
    row = audit.unaudited_row(host)
    row.update(actions=[], findings=[], severity=None, errors=[])
    row.update(over)
    return row


def small_fleet():
    return [
        base("d-clean"),
        base("a-crit", severity="critical",
             actions=[dict(code="loop_lvm", action="move to overlay2", severity="high")],
             findings=[finding("container_privileged", "critical", "web", "runs privileged", "5.5", "drop it"),
                       finding("container_no_cpu_limit", "low", "web", cis="5.12"),
                       finding("container_no_cpu_limit", "low", "db", cis="5.12")]),
        base("c-low", severity="low", findings=[finding("container_no_cpu_limit", "low", "app", cis="5.12"),
                                                finding("image_many_tags", "info", "img")]),
    ]


def test_items_put_actions_and_findings_together_most_severe_first():
    row = small_fleet()[1]
    assert audit_html.items(row) == [
        dict(kind="finding", check="container_privileged", cis="5.5", severity="critical", subject="web",
             detail="runs privileged", action="drop it"),
        dict(kind="action", check="loop_lvm", cis=None, severity="high", subject="", detail="",
             action="move to overlay2"),
        dict(kind="finding", check="container_no_cpu_limit", cis="5.12", severity="low", subject="db", detail="d",
             action="fix it"),
        dict(kind="finding", check="container_no_cpu_limit", cis="5.12", severity="low", subject="web", detail="d",
             action="fix it"),
    ]


def test_rows_from_before_findings_default_to_medium_actions_and_no_findings():
    row = base("old", actions=[dict(code="no_log_rotation", action="rotate")])
    del row["findings"], row["severity"]
    its = audit_html.items(row)
    assert [(i["check"], i["severity"]) for i in its] == [("no_log_rotation", "medium")]
    assert audit_html.host_severity(row, its) == "medium"
    assert audit_html.host_severity(base("none"), []) is None
    page = Page(audit_html.render_html([row], GENERATED))
    assert [(a["data-host"], a["data-sev"]) for a, dummy in page.table("audit")[1:]] == [("old", "medium")]


def test_host_severity_is_the_worst_of_the_row_and_its_items():
    row = base("h", severity="low", findings=[finding("x", "high", "s")])
    assert audit_html.host_severity(row, audit_html.items(row)) == "high"
    row = base("h", severity="critical", findings=[finding("x", "info", "s")])
    assert audit_html.host_severity(row, audit_html.items(row)) == "critical"


def test_an_unknown_severity_is_an_error_naming_the_host():
    with pytest.raises(audit.AuditError, match="h1: unknown severity 'urgent', expected one of critical, high"):
        audit_html.render_html([base("h1", findings=[finding("x", "urgent", "s")])])
    with pytest.raises(audit.AuditError, match="h2: unknown severity 'bad'"):
        audit_html.render_html([base("h2", severity="bad")])


def test_counts_per_severity_and_per_check():
    page = Page(audit_html.render_html(small_fleet(), GENERATED))
    sev = [(a["data-severity"], [t for dummy, t in cells]) for a, cells in page.table("severities")[1:]]
    assert sev == [("critical", [" critical", "1", "1", "1", "0"]),
                   ("high", [" high", "0", "1", "0", "1"]),
                   ("medium", [" medium", "0", "0", "0", "0"]),
                   ("low", [" low", "1", "2", "3", "0"]),
                   ("info", [" info", "0", "1", "1", "0"]),
                   ("none", [" nothing to do", "1", "", "", ""])]
    checks = [[t for dummy, t in cells] for a, cells in page.table("checks")[1:]]
    assert checks == [["container_privileged", "5.5", "1", "1", "1", "0", "0", "0", "0"],
                      ["loop_lvm", "", "1", "1", "0", "1", "0", "0", "0"],
                      ["container_no_cpu_limit", "5.12", "2", "3", "0", "0", "0", "3", "0"],
                      ["image_many_tags", "", "1", "1", "0", "0", "0", "0", "1"]]
    assert [t for dummy, t in page.items["check-2"]] == [
        "container_no_cpu_limit (CIS 5.12): 3 on 2 hosts", "a-crit (low): db (d); web (d)", "c-low (low): app (d)"]


def test_host_table_orders_hosts_with_severity_and_opens_their_sections():
    page = Page(audit_html.render_html(small_fleet(), GENERATED))
    head, rows = page.table("audit")[0], page.table("audit")[1:]
    assert [t for dummy, t in head[1][:4]] == ["Host", "Severity", "Findings", "Actions"]
    assert [(a["data-host"], a["data-sev"], a["class"]) for a, dummy in rows] == [
        ("a-crit", "critical high low", "action"), ("c-low", "low info", "action"), ("d-clean", "none", "ok")]
    assert [(cells[1][0]["data-sort"], cells[1][1], cells[2][0]["data-sort"], cells[2][1]) for dummy, cells in rows] \
        == [("0", "critical", "4", "4"), ("3", "low", "2", "2"), ("5", "", "0", "0")]
    buttons = [a["data-open"] for tag, a in page.elements if tag == "button"]
    assert buttons == ["host-0", "host-1", "check-0", "check-1", "check-2", "check-3"]
    ids = [a["id"] for tag, a in page.elements if tag == "details"]
    assert sorted(ids) == sorted(buttons)
    assert [t for dummy, t in page.items["host-0"]] == ["a-crit: critical, 1 actions, 3 findings"]
    host0 = [[t for dummy, t in cells] for a, cells in page.tables["items"][0][1:]]
    assert host0 == [["critical", "container_privileged (5.5)", "1", "web (runs privileged)", "drop it"],
                     ["high", "loop_lvm", "1", "", "move to overlay2"],
                     ["low", "container_no_cpu_limit (5.12)", "2", "db (d); web (d)", "fix it"]]


def test_filter_values_cover_every_data_sev():
    page_text = audit_html.render_html(small_fleet(), GENERATED)
    page = Page(page_text)
    values = [a["value"] for tag, a in page.elements if tag == "input"]
    assert values == list(SEVERITIES) + ["none"]
    used = set()
    for dummy, a in page.elements:
        used.update((a.get("data-sev") or "").split())
    assert used == {"critical", "high", "low", "info", "none"}
    # One severity: a class on the body and a CSS rule hide it; several: the script, when none is checked.
    style = page_text.split("<style>", 1)[1].split("</style>", 1)[0]
    assert [line for line in style.splitlines() if line.startswith("body.hide-")] == [
        'body.hide-%s [data-sev="%s"] { display: none; }' % (v, v) for v in values]
    script = page.scripts[-1][1]
    assert "classList.toggle('hide-' + i.value, !i.checked)" in script
    assert "querySelectorAll('[data-sev*=\" \"]')" in script and "el.hidden = !" in script


def test_hostile_text_renders_as_text_and_the_json_block_stays_whole():
    evil = '<script>alert("x")</script>'
    detail = "</script><script>alert(2)</script><!-- & \u2028"
    rows = [base(evil, severity="high", findings=[finding("container_host_pid", "high", evil, detail, "5.16", detail)],
                 actions=[dict(code="loop_lvm", action=evil, severity="high")]),
            base("ok|pipe")]
    text = audit_html.render_html(rows, "<b>now</b>")
    page = Page(text)
    assert [a for a, dummy in page.scripts] == [{"type": "application/json", "id": "audit-data"}, {}]
    assert json.loads(page.scripts[0][1]) == audit.order(rows)
    assert "<script>alert" not in text and "<b>now" not in text
    assert page.table("audit")[1][0]["data-host"] == evil and page.table("audit")[1][1][0][1] == evil
    assert page.items["host-0"][0][1] == evil + ": high, 1 actions, 1 findings"
    assert [[t for dummy, t in cells] for a, cells in page.tables["items"][0][1:]] == [
        ["high", "loop_lvm", "1", "", evil],
        ["high", "container_host_pid (5.16)", "1", "%s (%s)" % (evil, detail), detail]]
    assert page.items["p"][0][1] == "Generated <b>now</b>. 2 hosts, 1 need action; 0B reclaimable."


def test_json_block_escapes_what_could_end_a_script():
    rows = [{"a": "</script><!--x-->&"}]
    block = audit_html.json_block(rows)
    assert "<" not in block and ">" not in block and "&" not in block
    assert json.loads(block) == rows


def test_the_page_is_self_contained():
    text = audit_html.render_html(audit_fleet.fleet_rows(20, seed=3), GENERATED)
    page = Page(text)
    assert [tag for tag, a in page.elements if tag in ("link", "img", "iframe", "object", "embed", "base")] == []
    assert [(tag, k) for tag, a in page.elements for k in a if k in ("src", "href", "action", "srcset")] == []
    assert [(tag, v) for tag, a in page.elements for v in a.values() if "//" in (v or "")] == []
    style = text.split("<style>", 1)[1].split("</style>", 1)[0]
    assert "@import" not in style and "url(" not in style and "//" not in style
    assert "//" not in page.scripts[-1][1] and "import" not in page.scripts[-1][1]
    # A URL in a finding (ADD of a remote URL) is text.
    assert "ADD of https://example.invalid/tool-" in text


def test_the_generator_is_seeded_and_has_every_severity():
    assert audit_fleet.fleet_rows(5, seed=7) == audit_fleet.fleet_rows(5, seed=7)
    assert audit_fleet.fleet_rows(5, seed=7) != audit_fleet.fleet_rows(5, seed=8)
    rows = audit_fleet.fleet_rows(50)
    assert {f["severity"] for r in rows for f in r["findings"]} == set(SEVERITIES)
    assert {r["severity"] for r in rows} >= {"critical", "high"}
    assert all(a["severity"] in SEVERITIES for r in rows for a in r["actions"])


def test_500_hosts_parsed_counts_match_the_data():
    rows = audit_fleet.fleet_rows(500)
    page = Page(audit_html.render_html(rows, GENERATED))
    ordered = audit.order(rows)
    assert [a["data-host"] for a, dummy in page.table("audit")[1:]] == [r["host"] for r in ordered]
    assert json.loads(page.scripts[0][1]) == ordered

    # Per severity: hosts at worst, hosts with it, findings, actions; hosts with nothing.
    expected = []
    for s in SEVERITIES:
        findings = [f for r in rows for f in r["findings"] if f["severity"] == s]
        actions = [a for r in rows for a in r["actions"] if a["severity"] == s]
        expected.append((s, [" " + s, str(sum(1 for r in rows if r["severity"] == s)),
                             str(sum(1 for r in rows if s in {i["severity"] for i in r["findings"] + r["actions"]})),
                             str(len(findings)), str(len(actions))]))
        assert findings, s
    expected.append(("none", [" nothing to do", str(sum(1 for r in rows if not r["findings"] + r["actions"])),
                              "", "", ""]))
    assert [(a["data-severity"], [t for dummy, t in cells]) for a, cells in page.table("severities")[1:]] == expected

    # Per check: hosts, total and per severity.
    per_check = collections.defaultdict(lambda: dict(hosts=set(), severities=collections.Counter()))
    for r in rows:
        for i in r["findings"] + [dict(check=a["code"], severity=a["severity"]) for a in r["actions"]]:
            per_check[i["check"]]["hosts"].add(r["host"])
            per_check[i["check"]]["severities"][i["severity"]] += 1
    shown = {cells[0][1]: [int(t) for dummy, t in cells[2:]] for a, cells in page.table("checks")[1:]}
    assert shown == {check: [len(c["hosts"]), sum(c["severities"].values())] + [c["severities"][s] for s in SEVERITIES]
                     for check, c in per_check.items()}

    # Per host: the Findings cell, and the section's counts add up to the host's actions and findings.
    items = iter(page.tables["items"])
    for n, (r, (attrs, cells)) in enumerate(zip(ordered, page.table("audit")[1:])):
        total = len(r["findings"]) + len(r["actions"])
        assert cells[2][1] == str(total)
        if total:
            section = next(items)
            assert sum(int(cells[2][1]) for dummy, cells in section[1:]) == total
            assert page.items["host-%d" % n][0][1] == "%s: %s, %d actions, %d findings" % (
                r["host"], r["severity"], len(r["actions"]), len(r["findings"]))
    assert next(items, None) is None


def test_bench_measure_counts_the_dom():
    result = audit_fleet.measure(hosts=10, runs=1, seed=4)
    page = Page(audit_html.render_html(audit_fleet.fleet_rows(10, seed=4), "2026-11-29T12:00:00Z"))
    assert result["dom_elements"] == len(page.elements)
    assert result["table_rows"] == sum(len(t) for tables in page.tables.values() for t in tables)
    assert result["details"] == sum(1 for tag, a in page.elements if tag == "details")
    assert result["tables"]["audit"] == dict(tables=1, rows=11, cells=11 * len(page.table("audit")[0][1]))
    # Laid out at open: the severities, hosts and checks tables; the sections' tables are in closed details.
    assert result["cells_shown"] == sum(len(cells) for key in ("severities", "audit", "checks")
                                        for a, cells in page.table(key)) == result["table_cells"] - sum(
        len(cells) for t in page.tables["items"] for a, cells in t)
    assert result["hosts"] == 10 and len(result["runs"]) == 1 and result["bytes"] > result["json_bytes"] > 0
