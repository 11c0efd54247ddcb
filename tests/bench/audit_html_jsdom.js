// The audit page's script run on a rendered page in jsdom (no layout; slower than a browser): the filter, the
// buttons that open a section and the column sort work, and how long each takes there. Not part of make test or
// make bench (jsdom is no dependency of the collection); run by hand:
//   python3 tests/bench/audit_fleet.py --runs 1 --write /tmp/audit.html
//   (cd /tmp/jsdom && npm install jsdom@24) && NODE_PATH=/tmp/jsdom/node_modules node tests/bench/audit_html_jsdom.js /tmp/audit.html
'use strict';
const assert = require('assert');
const fs = require('fs');
const { JSDOM } = require('jsdom');

let t0 = Date.now();
const dom = new JSDOM(fs.readFileSync(process.argv[2], 'utf8'), { runScripts: 'dangerously' });
const w = dom.window, d = w.document;
const ms = {load: Date.now() - t0};
const hostRows = () => Array.from(d.querySelectorAll('#audit tbody tr'));
const shown = (sel) => Array.from(d.querySelectorAll(sel)).filter(e => !e.hidden && w.getComputedStyle(e).display !== "none").length;
const click = (el) => el.dispatchEvent(new w.MouseEvent('click', {bubbles: true}));
const hosts = hostRows().length;

// Only critical: the hosts and items with a critical finding stay.
const boxes = Array.from(d.querySelectorAll('input.sev'));
t0 = Date.now();
boxes.filter(i => i.value !== 'critical').forEach(i => { i.checked = false; i.dispatchEvent(new w.Event('change')); });
ms.filter_per_change = (Date.now() - t0) / (boxes.length - 1);
assert.strictEqual(shown('#audit tbody tr'), hostRows().filter(r => r.dataset.sev.split(' ').includes('critical')).length);
assert.strictEqual(shown('table.items tbody tr'), d.querySelectorAll('table.items tbody tr[data-sev="critical"]').length);
boxes.forEach(i => { i.checked = true; i.dispatchEvent(new w.Event('change')); });
assert.strictEqual(shown('#audit tbody tr'), hosts);

// A host's findings count opens its section.
const button = d.querySelector('#audit button[data-open]');
const section = d.getElementById(button.dataset.open);
section.scrollIntoView = function () { this.scrolled = true; };
click(button);
assert.ok(section.open && section.scrolled);
assert.ok(section.querySelector('summary').textContent.startsWith(button.closest('tr').dataset.host + ': '));

// Sorting by host name, both ways, and by severity (numeric keys).
const th = d.querySelectorAll('#audit th');
t0 = Date.now();
click(th[0]);
ms.sort = Date.now() - t0;
const asc = hostRows().map(r => r.dataset.host);
assert.deepStrictEqual(asc, [...asc].sort((a, b) => a.localeCompare(b)));
click(th[0]);
assert.deepStrictEqual(hostRows().map(r => r.dataset.host), [...asc].reverse());
click(th[1]);
const ranks = hostRows().map(r => Number(r.cells[1].dataset.sort));
assert.ok(ranks.every((v, i) => i === 0 || ranks[i - 1] <= v));
assert.strictEqual(JSON.parse(d.getElementById('audit-data').textContent).length, hosts);
console.log(JSON.stringify({hosts: hosts, elements: d.getElementsByTagName('*').length, jsdom_ms: ms}));
