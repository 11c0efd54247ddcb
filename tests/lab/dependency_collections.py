#!/usr/bin/env python3
"""The lab's dependency collections, read from the repository's requirements.yml.

    dependency_collections.py key REQUIREMENTS            the cache key: a hash of the list (names and ranges) only
    dependency_collections.py reuse REQUIREMENTS DIR...   prints the first complete DIR holding exactly that list
    dependency_collections.py check REQUIREMENTS DIR      fails unless DIR holds exactly that list, in range
    dependency_collections.py extract REQUIREMENTS ARCHIVE DEST
                                               takes the collections (and what they depend on) out of
                                               the `ansible` package (wheel or sdist) into DEST
    dependency_collections.py fallback-package REQUIREMENTS
                                               prints the pip requirement of that package

"Exactly that list": every collection named, in its range, plus what their
MANIFEST.json files depend on, and nothing else. A comment or a reordering in
requirements.yml changes neither the key nor what is reused, so no rebuild
(which needs the network) happens for them; a changed name or range does.
"""
import fnmatch
import hashlib
import json
import os
import sys
import tarfile
import zipfile

import yaml
from ansible.module_utils.compat.version import LooseVersion

# Bump when the way the collections are installed changes, to rebuild them.
RECIPE = "1"
# Where the collections come from when Galaxy does not answer (tests/lab/venv.sh).
FALLBACK_PACKAGE = "ansible==12.*"
OPS = {">=": lambda a, b: a >= b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, "<": lambda a, b: a < b,
       "==": lambda a, b: a == b, "!=": lambda a, b: a != b}


def read_requirements(path):
    """{name: range} from a requirements.yml (collections as dicts or bare names)."""
    with open(path) as f:
        data = yaml.safe_load(f) or {}
    out = {}
    for entry in data.get("collections") or []:
        if isinstance(entry, str):
            entry = {"name": entry}
        out[entry["name"]] = str(entry.get("version", "*"))
    return out


def in_range(version, spec):
    """Whether version satisfies a Galaxy range such as '>=3.10.0,<6.0.0'."""
    for part in spec.split(","):
        part = part.strip()
        if part in ("", "*"):
            continue
        op = next((o for o in (">=", "<=", "==", "!=", ">", "<") if part.startswith(o)), None)
        if not OPS[op or "=="](LooseVersion(version), LooseVersion(part[len(op):] if op else part)):
            return False
    return True


def key(requirements):
    text = json.dumps([RECIPE, FALLBACK_PACKAGE, sorted(requirements.items())])
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def installed(path):
    """{name: (version, dependency names)} of the collections under path/ansible_collections."""
    out = {}
    root = os.path.join(path, "ansible_collections")
    for namespace in sorted(os.listdir(root)) if os.path.isdir(root) else []:
        for collection in sorted(os.listdir(os.path.join(root, namespace))):
            manifest = os.path.join(root, namespace, collection, "MANIFEST.json")
            if os.path.exists(manifest):
                with open(manifest) as f:
                    info = json.load(f)["collection_info"]
                out["%s.%s" % (namespace, collection)] = (info["version"], sorted(info.get("dependencies") or {}))
    return out


def closure(requirements, dependencies):
    """The required collections and, through dependencies(name) (their names, or None for one not found), what they
    depend on: {name: found}."""
    wanted, todo = {}, list(requirements)
    while todo:
        name = todo.pop()
        if name in wanted:
            continue
        found = dependencies(name)
        wanted[name] = found is not None
        todo.extend(found or ())
    return wanted


def problems(requirements, path):
    """Why path does not hold exactly the required collections (empty: it does)."""
    have = installed(path)
    wanted = closure(requirements, lambda name: have[name][1] if name in have else None)
    out = []
    for name, found in wanted.items():
        if not found:
            out.append("%s is not installed" % name)
        elif name in requirements and not in_range(have[name][0], requirements[name]):
            out.append("%s %s is outside %s" % (name, have[name][0], requirements[name]))
    out.extend("%s is installed but not required" % name for name in sorted(set(have) - set(wanted)))
    return out


def extract(requirements, archive, dest):
    """Copies the required collections and what they depend on out of the ansible package."""
    if archive.endswith(".whl"):
        with zipfile.ZipFile(archive) as z:
            return _extract(requirements, z.namelist(), z.read, lambda selected: z.extractall(dest, selected))
    with tarfile.open(archive) as t:
        strip = t.getnames()[0].split("/")[0] + "/"

        def take(selected):
            members = []
            for m in t.getmembers():
                if m.name[len(strip):] in selected:
                    m.name = m.name[len(strip):]
                    members.append(m)
            t.extractall(dest, members, filter="data")
        return _extract(requirements, [n[len(strip):] for n in t.getnames()],
                        lambda name: t.extractfile(strip + name).read(), take)


def _extract(requirements, names, read, take):
    def dependencies(name):
        manifest = "ansible_collections/%s/MANIFEST.json" % name.replace(".", "/", 1)
        if manifest not in names:
            raise SystemExit("%s is not in the ansible package" % name)
        return list(json.loads(read(manifest))["collection_info"].get("dependencies") or {})
    wanted = closure(requirements, dependencies)
    patterns = ["ansible_collections/%s/*" % name.replace(".", "/", 1) for name in sorted(wanted)]
    take([n for n in names if any(fnmatch.fnmatch(n, p) for p in patterns)])


def main(argv):
    command, requirements = argv[0], read_requirements(argv[1])
    if command == "key":
        print(key(requirements))
    elif command == "reuse":
        for path in argv[2:]:
            if os.path.exists(os.path.join(path, ".complete")) and not problems(requirements, path):
                print(path)
                return 0
        return 1
    elif command == "check":
        found = problems(requirements, argv[2])
        for line in found:
            print("%s: %s" % (argv[2], line), file=sys.stderr)
        return 1 if found else 0
    elif command == "extract":
        extract(requirements, argv[2], argv[3])
    elif command == "fallback-package":
        print(FALLBACK_PACKAGE)
    else:
        raise SystemExit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
