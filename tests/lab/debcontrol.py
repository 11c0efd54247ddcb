#!/usr/bin/env python3
"""Edit a Debian binary package's DEBIAN/control for the fixture mirror.

usage: debcontrol.py CONTROL [--set Field=value] [--drop Field]
                             [--rename-dep old=new] [--drop-dep name]
                             [--add-dep 'relation']

--rename-dep/--drop-dep act on Depends, Pre-Depends and Recommends.
"""
import argparse
import re

REL_FIELDS = ("Depends", "Pre-Depends", "Recommends")


def parse(text):
    fields, order = {}, []
    for line in text.splitlines():
        if line[:1] in (" ", "\t") and order:
            fields[order[-1]] += "\n" + line
        elif line.strip():
            key, _, value = line.partition(":")
            fields[key] = value.strip()
            order.append(key)
    return fields, order


def edit_relations(value, renames, drops):
    out = []
    for group in (g.strip() for g in value.split(",") if g.strip()):
        alts = []
        for alt in (a.strip() for a in group.split("|")):
            name = re.match(r"[^\s(:]+", alt).group(0)
            if name in drops:
                continue
            if name in renames:
                alt = renames[name]  # versions of the old name mean nothing for the new one
            alts.append(alt)
        if alts:
            out.append(" | ".join(alts))
    return ", ".join(dict.fromkeys(out))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("control")
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument("--drop", action="append", default=[])
    ap.add_argument("--rename-dep", action="append", default=[])
    ap.add_argument("--drop-dep", action="append", default=[])
    ap.add_argument("--add-dep", action="append", default=[])
    args = ap.parse_args()

    with open(args.control) as f:
        fields, order = parse(f.read())
    renames = dict(r.split("=", 1) for r in args.rename_dep)
    for key in REL_FIELDS:
        if key in fields:
            fields[key] = edit_relations(fields[key], renames, set(args.drop_dep))
            if not fields[key]:
                del fields[key]
    if args.add_dep:
        deps = [d for d in fields.get("Depends", "").split(", ") if d] + args.add_dep
        fields["Depends"] = ", ".join(dict.fromkeys(deps))
        if "Depends" not in order:
            order.append("Depends")
    for key in args.drop:
        fields.pop(key, None)
    for item in args.set:
        key, _, value = item.partition("=")
        fields[key] = value
        if key not in order:
            order.append(key)
    with open(args.control, "w") as f:
        for key in dict.fromkeys(order):
            if key in fields:
                f.write("%s: %s\n" % (key, fields[key]))


if __name__ == "__main__":
    main()
