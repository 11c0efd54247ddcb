#!/usr/bin/env python3
"""requirements.yml (the repository root) lists the dependency collections and
their ranges, once. galaxy.yml's dependencies, which ansible-galaxy puts in the
built collection (so that installing dockerops.host, as the execution
environment does, brings them), must be the same names and ranges. The
collections the lab installed (the paths given) must be in those ranges, so
the tests run on versions users may get.

    python tests/check-dependencies.py [COLLECTIONS_PATH...]
"""
import json
import os
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "lab"))
from dependency_collections import in_range, read_requirements  # noqa: E402


def problems(collections_paths, root=ROOT):
    with open(os.path.join(root, "galaxy.yml")) as f:
        declared = {name: str(spec) for name, spec in (yaml.safe_load(f).get("dependencies") or {}).items()}
    required = read_requirements(os.path.join(root, "requirements.yml"))
    out = []
    if required != declared:
        out.append("galaxy.yml's dependencies %s differ from requirements.yml's collections %s" % (declared, required))
    for name, spec in sorted(required.items()):
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
            out.append("the lab has %s %s, outside requirements.yml's range %s" % (name, found, spec))
    return out


if __name__ == "__main__":
    paths = [p for arg in sys.argv[1:] for p in arg.split(":") if p]
    found = problems(paths)
    for line in found:
        print(line, file=sys.stderr)
    if not found:
        print("dependencies: requirements.yml and galaxy.yml agree; %s" % (
            "the lab's versions are in range" if paths else "no collections path given, so no installed version checked"))
    sys.exit(1 if found else 0)
