#!/usr/bin/env python3
"""Check the relative links of README.md, docs/*.md and roles/*/README.md.

    tools/check-links.py [FILE.md ...]

Every relative link must name a file or directory that exists, and a #anchor must name a heading of that
Markdown file, as GitHub makes anchors of headings (lower case, punctuation dropped, spaces to dashes,
-1, -2 for repeats). Links in code spans and fenced code blocks are not links and are skipped; so are
http(s) and mailto links. Exits 1, naming each file, link and what is wrong.
"""
import glob
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
FENCE = re.compile(r"^\s*(```|~~~)")


def prose(text):
    """The lines outside fenced code blocks, code spans removed."""
    out, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            out.append(re.sub(r"`[^`]*`", "", line))
    return out


def anchors(path):
    seen, result = {}, set()
    fenced = False
    for line in open(path, encoding="utf-8").read().splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        m = None if fenced else re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not m:
            continue
        slug = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        result.add(slug if n == 0 else "%s-%d" % (slug, n))
    return result


def check(md):
    problems = []
    base = os.path.dirname(md)
    for line in prose(open(md, encoding="utf-8").read()):
        for target in LINK.findall(line):
            if re.match(r"^(https?|mailto):", target):
                continue
            path, _, anchor = target.partition("#")
            dest = os.path.normpath(os.path.join(base, path)) if path else md
            if not os.path.exists(dest):
                problems.append("%s: %s: no such file" % (os.path.relpath(md, ROOT), target))
            elif anchor and dest.endswith(".md") and anchor not in anchors(dest):
                problems.append("%s: %s: no heading with that anchor in %s"
                                % (os.path.relpath(md, ROOT), target, os.path.relpath(dest, ROOT)))
    return problems


def main(files):
    files = files or ([os.path.join(ROOT, "README.md")] + sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))
                      + sorted(glob.glob(os.path.join(ROOT, "roles", "*", "README.md"))))
    problems = [p for md in files for p in check(os.path.abspath(md))]
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
