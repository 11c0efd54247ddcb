#!/usr/bin/env python3
"""galaxy.yml is where the dependency collections and their ranges are declared.
The two other lists must agree with it: ee/requirements.yml (the execution
environment: the same names and ranges) and tests/collections.txt (what the
lab installs: every name). The collections the lab installed (the paths given)
must be in galaxy.yml's ranges, so the tests run on versions users may get.

    python tests/check-dependencies.py [COLLECTIONS_PATH...]
"""
import json
import os
import sys

import yaml
from ansible.module_utils.compat.version import LooseVersion

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def in_range(version, spec):
    """Whether version satisfies a Galaxy range such as '>=3.10.0,<6.0.0'."""
    ops = {">=": lambda a, b: a >= b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, "<": lambda a, b: a < b,
           "==": lambda a, b: a == b, "!=": lambda a, b: a != b}
    for part in spec.split(","):
        part = part.strip()
        if part == "*":
            continue
        op = next((o for o in (">=", "<=", "==", "!=", ">", "<") if part.startswith(o)), "==")
        if not ops[op](LooseVersion(version), LooseVersion(part[len(op):] if part.startswith(op) else part)):
            return False
    return True


def problems(collections_paths):
    with open(os.path.join(ROOT, "galaxy.yml")) as f:
        declared = yaml.safe_load(f).get("dependencies") or {}
    out = []
    with open(os.path.join(ROOT, "ee", "requirements.yml")) as f:
        ee = {c["name"]: c.get("version", "*") for c in yaml.safe_load(f)["collections"]
              if c["name"] != "dockerops.host"}
    if ee != declared:
        out.append("ee/requirements.yml's collections %s differ from galaxy.yml's dependencies %s" % (ee, declared))
    with open(os.path.join(ROOT, "tests", "collections.txt")) as f:
        lab = {line.strip() for line in f if line.strip() and not line.startswith("#") and "==" not in line}
    missing = sorted(set(declared) - lab)
    if missing:
        out.append("tests/collections.txt does not install %s (galaxy.yml depends on them)" % ", ".join(missing))
    for name, spec in sorted(declared.items()):
        namespace, collection = name.split(".", 1)
        found = None
        for path in collections_paths:
            manifest = os.path.join(path, "ansible_collections", namespace, collection, "MANIFEST.json")
            if os.path.exists(manifest):
                with open(manifest) as f:
                    found = json.load(f)["collection_info"]["version"]
                break
        if collections_paths and found is None:
            out.append("%s is not installed in %s" % (name, ":".join(collections_paths)))
        elif found is not None and not in_range(found, spec):
            out.append("the lab has %s %s, outside galaxy.yml's range %s" % (name, found, spec))
    return out


if __name__ == "__main__":
    paths = [p for arg in sys.argv[1:] for p in arg.split(":") if p]
    found = problems(paths)
    for line in found:
        print(line, file=sys.stderr)
    if not found:
        print("dependencies: galaxy.yml, ee/requirements.yml and tests/collections.txt agree; %s" % (
            "the lab's versions are in range" if paths else "no collections path given, so no installed version checked"))
    sys.exit(1 if found else 0)
