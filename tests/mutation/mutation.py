#!/usr/bin/env python3
"""The mutation gate: mutmut over plugins/ against the unit tests (tests/unit).

  python tests/mutation/mutation.py --all       every file; rewrites baseline.json (make mutation)
  python tests/mutation/mutation.py --changed   what changed since baseline.json (make test, CI)
  python tests/mutation/mutation.py --carry OLD=NEW ...   keep the records of files whose code did not change

A full run takes about an hour on 2 CPUs, too long for every CI run. The
reference point is the last full run, recorded in baseline.json (per file: its
hash, the hash of every unit-test file that exercised it, and its counts).
There is no release tag yet (0.1.0 was never tagged), so the last full run
stands where the issue says "the last release tag". --changed re-mutates every
plugins/ file that is new, whose content changed, one of whose recorded test
files changed or disappeared, or whose tests use a test-support file (the
harness, conftest.py, a fixture, mutmut's configuration) that changed or
disappeared since the full run; with none, it re-mutates the canary file and
requires the baseline's counts for it exactly (the tool still runs and the
baseline is reproducible). --all --files re-mutates the files named and the
recorded files --changed would.

The gate fails when:
  - the score of the whole (fresh counts for re-mutated files, recorded ones
    for the rest) is below the threshold in baseline.json;
  - a re-mutated file scores more than TOLERANCE (1 point) below its last full
    run, or below the threshold (below its last full run, for a file that was
    already under the threshold); a new file below the threshold;
  - the canary's counts differ from the baseline's;
  - an entry of equivalent.txt names no mutant, a mutant whose change is not
    the one recorded, or a mutant the tests kill;
  - there is no baseline.json or its threshold is not above 0 (--changed).

Score = killed / (mutants - equivalent), compared unrounded. Killed counts
mutmut's "killed" and "timeout" (the tests noticed; timeouts are also shown on
their own); "survived", "no tests" and "suspicious" count against. Equivalent
mutants (no test can tell them apart from the original) are listed in
equivalent.txt, each with the hash of its change and the reason, and left out
of the denominator.
docs/testing.md ("The mutation gate") has the score and how to read a survivor.

--carry keeps a record where only names moved: a plugins/ file renamed (OLD=NEW, paths under plugins/), or a file
or test file whose imports (and strings) now name a renamed module, or whose module docstring or documentation
strings (DOCUMENTATION, EXAMPLES, RETURN) changed. It finds
the commit whose files the record was made of (the file's and its test files' hashes), and carries the record
over only if the file and every test file it lists are the same code as then: the same AST, without the module
docstring, once the renamed modules are read under their old names. mutmut mutates function bodies, so the same
code has the same mutants, and the same tests kill them. Anything else stays for --changed to re-mutate.
"""
import argparse
import ast
import copy
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BASELINE = os.path.join(HERE, "baseline.json")
EQUIVALENT = os.path.join(HERE, "equivalent.txt")
COLL = os.path.join("ansible_collections", "dockerops", "host")
CANARY = "plugins/filter/docker_users.py"
COUNTS = ("mutants", "killed", "timeout", "survived", "no_tests", "other", "equivalent")
# What the unit tests rely on besides the test files: a change to one of these re-mutates the files whose tests use
# it (by name: a test file that names the fixture's directory or file, or the module; conftest.py: every file).
SUPPORT_GLOBS = ("tests/unit/*.py", "tests/unit/fixtures/**/*", "tests/mutation/pyproject.toml")
# mutmut 3.8.1's exit codes (mutmut/stats.py status_by_exit_code) that mean the tests noticed the mutant.
# 1, 3: killed; -11, -9: the process died; 37: caught by type check.
KILLED = {1, 3, -11, -9, 37}
TIMEOUT = {36, 24, -24, 152, 255}
# How far (in points) a re-mutated file may fall below its last full run: a change may add a mutant or two that
# no test can tell (then list it in equivalent.txt), not drop a file's tests.
TOLERANCE = 1.0


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def plugin_files(root=ROOT):
    return sorted(os.path.relpath(p, root) for p in glob.glob(os.path.join(root, "plugins", "**", "*.py"),
                                                               recursive=True))


def tests_hash(test_files, root=ROOT):
    """One hash over these test files' names and contents; a missing file hashes as missing."""
    h = hashlib.sha256()
    for name in sorted(test_files):
        path = os.path.join(root, name)
        h.update(name.encode() + b"\0")
        h.update(sha256(path).encode() if os.path.exists(path) else b"missing")
    return h.hexdigest()


def support_files(root=ROOT):
    """{path: sha256} of the test-support files (not test_*.py, not documentation)."""
    out = {}
    for pattern in SUPPORT_GLOBS:
        for path in glob.glob(os.path.join(root, pattern), recursive=True):
            name = os.path.relpath(path, root)
            base = os.path.basename(name)
            if os.path.isfile(path) and not base.startswith("test_") and not base.endswith(".md") \
                    and "__pycache__" not in name:
                out[name] = sha256(path)
    return out


def support_changes(recorded, current):
    """Recorded support files that changed or are gone (new ones cannot weaken an existing test)."""
    return sorted(name for name, digest in recorded.items() if current.get(name) != digest)


def uses(test_text, support):
    """Whether a test file (its text) uses this support file, by name."""
    if support == "tests/unit/conftest.py":
        return True
    parts = support.split("/")
    stem = os.path.splitext(parts[-1])[0]
    names = {stem, parts[-1]}
    if len(parts) > 4 and parts[2] == "fixtures":  # tests/unit/fixtures/<dir>/...: the directory's name
        names.add(parts[3])
    return any(n in test_text for n in names)


def read_text(path):
    if not os.path.exists(path):
        return ""
    with open(path, errors="replace") as f:
        return f.read()


def helpers(root=ROOT):
    """The unit tests' helper modules (tests/unit/*.py but tests and conftest.py)."""
    return sorted(os.path.relpath(p, root) for p in glob.glob(os.path.join(root, "tests", "unit", "*.py"))
                  if not os.path.basename(p).startswith("test_") and os.path.basename(p) != "conftest.py")


def changed_files(baseline, files, root=ROOT):
    """The plugins/ files to re-mutate, each with why."""
    out = {}
    changed_support = support_changes(baseline.get("support", {}), support_files(root))
    texts = {}  # each test and helper file read once

    def text(name):
        if name not in texts:
            texts[name] = read_text(os.path.join(root, name))
        return texts[name]

    for name in files:
        rec = baseline.get("files", {}).get(name)
        if rec is None:
            out[name] = "new since the last full run"
        elif rec["sha256"] != sha256(os.path.join(root, name)):
            out[name] = "changed since the last full run"
        elif rec["tests_sha256"] != tests_hash(rec["tests"], root):
            out[name] = "a unit-test file that exercised it changed or is gone"
        elif changed_support:
            used_texts = [text(t) for t in rec["tests"]]
            # and the helpers those tests use (tests/unit/*.py: the harness, k8s_tree.py), one level down
            used_texts += [text(h) for h in helpers(root) if any(uses(t, h) for t in used_texts)]
            used = [s for s in changed_support if any(uses(t, s) for t in used_texts)]
            if used:
                out[name] = "test support its tests use changed or is gone: %s" % ", ".join(used)
    return out


def _module_of(path):
    return module_name(path) if path.endswith(".py") else path


DOC_CONSTANTS = ("DOCUMENTATION", "EXAMPLES", "RETURN")


def normalized(text, renames):
    """The code of a file as the gate compares it for --carry: its AST without the module docstring and Ansible's
    documentation strings (DOC_CONSTANTS, plain string assignments at module level), with every
    module of renames ({new dotted name: old}) named by its old name in imports and strings. None if it does not
    parse."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    body = tree.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    # Ansible's documentation strings, read by ansible-doc and the docs tests, never by the code mutmut mutates.
    tree.body = [node for node in body if not (
        isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id in DOC_CONSTANTS and isinstance(node.value, ast.Constant))]

    def old(name):
        for new, was in renames.items():
            if name == new or name.startswith(new + "."):
                return was + name[len(new):]
        return name

    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            node.module = old(node.module)
            for alias in node.names:
                was = old(node.module + "." + alias.name)
                if was != node.module + "." + alias.name:
                    alias.name = was.rsplit(".", 1)[1]
                    if alias.asname == alias.name:
                        alias.asname = None
        elif isinstance(node, ast.Import):
            for alias in node.names:
                alias.name = old(alias.name)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            for new, was in renames.items():
                node.value = node.value.replace(new, was)
    return ast.dump(tree)


def git_text(commit, path, root=ROOT):
    """A file's text at a commit, or None if it was not there."""
    result = subprocess.run(["git", "-C", root, "show", "%s:%s" % (commit, path)], capture_output=True)
    return result.stdout.decode(errors="replace") if result.returncode == 0 else None


def recorded_commit(rec, path, root=ROOT, depth=300):
    """The newest commit whose path and test files hash as the record says (the code the record was made of)."""
    log = subprocess.run(["git", "-C", root, "log", "--format=%H", "-n", str(depth)],
                         capture_output=True, text=True, check=True).stdout.split()
    for commit in log:
        text = git_text(commit, path, root)
        if text is None or hashlib.sha256(text.encode()).hexdigest() != rec["sha256"]:
            continue
        h = hashlib.sha256()
        for name in sorted(rec["tests"]):
            t = git_text(commit, name, root)
            h.update(name.encode() + b"\0")
            h.update(hashlib.sha256(t.encode()).hexdigest().encode() if t is not None else b"missing")
        if h.hexdigest() == rec["tests_sha256"]:
            return commit
    return None


def renamed(survivors, old_path, path):
    """Survivors' names (module.x_function__mutmut_N) under a module's new name."""
    return [module_name(path) + n[len(module_name(old_path)):] for n in survivors]


def carry(baseline, moves, root=ROOT):
    """Carries records over where only names moved (see --carry). moves: {old path: new path} under plugins/.
    Returns {path: why} for each record looked at; changes baseline["files"] in place."""
    renames = {module_name(new): module_name(old) for old, new in moves.items()}
    report = {}

    def keep_name(old_path, path, rec):
        """A renamed file not carried is still the same file: its record moves with it (hashes kept, so --changed
        re-mutates it), and it is held to its own last full run, not to the threshold as a new file would be."""
        if path == old_path:
            return ""
        del baseline["files"][old_path]
        baseline["files"][path] = dict(rec, survivors=renamed(rec["survivors"], old_path, path))
        return "; its record moved, to be re-mutated"
    for old_path, rec in sorted(baseline["files"].items()):
        path = moves.get(old_path, old_path)
        full = os.path.join(root, path)
        if not os.path.exists(full):
            report[path] = "not carried: gone"
            continue
        same_file = rec["sha256"] == sha256(full)
        if path == old_path and same_file and rec["tests_sha256"] == tests_hash(rec["tests"], root):
            continue
        commit = recorded_commit(rec, old_path, root)
        if commit is None:
            report[path] = "not carried: no commit holds the recorded file and tests" + keep_name(old_path, path, rec)
            continue
        differ = [name for name in [(old_path, path)] + [(t, t) for t in rec["tests"]]
                  if normalized(git_text(commit, name[0], root) or "", renames)
                  != normalized(read_text(os.path.join(root, name[1])), renames)]
        if differ:
            report[path] = "not carried: code changed since %s in %s" % (
                commit[:10], ", ".join(n[1] for n in differ)) + keep_name(old_path, path, rec)
            continue
        moved = dict(rec, sha256=sha256(full), tests_sha256=tests_hash(rec["tests"], root),
                     survivors=renamed(rec["survivors"], old_path, path))
        del baseline["files"][old_path]
        baseline["files"][path] = moved
        report[path] = "carried from %s (recorded at %s)" % (old_path, commit[:10]) if path != old_path \
            else "carried (same code as at %s)" % commit[:10]
    return report


def classify(exit_codes, equivalent=()):
    """Counts by outcome for {mutant: exit code}, and the surviving mutants' names."""
    counts = dict.fromkeys(COUNTS, 0)
    survivors = []
    for name, code in sorted(exit_codes.items()):
        counts["mutants"] += 1
        if name in equivalent:
            counts["equivalent"] += 1
        elif code in KILLED:
            counts["killed"] += 1
        elif code in TIMEOUT:
            counts["killed"] += 1
            counts["timeout"] += 1
        elif code == 0:
            counts["survived"] += 1
            survivors.append(name)
        elif code in (5, 33):
            counts["no_tests"] += 1
            survivors.append(name)
        else:  # suspicious, not checked, skipped: never a kill
            counts["other"] += 1
            survivors.append(name)
    return counts, survivors


def score(counts):
    """killed / (mutants - equivalent), in percent (unrounded); 100 for a file with nothing to mutate."""
    denominator = counts["mutants"] - counts["equivalent"]
    return 100.0 if denominator == 0 else 100.0 * counts["killed"] / denominator


def total(per_file):
    return {k: sum(c.get(k, 0) for c in per_file.values()) for k in COUNTS}


def problems(threshold, merged, fresh, baseline, canary=None):
    """Why the gate fails ([] when it passes)."""
    found = []
    whole = score(total(merged))
    if whole < threshold:
        found.append("the score of the whole, %.3f %%, is below the threshold %.2f %%" % (whole, threshold))
    for name, counts in sorted(fresh.items()):
        if name == canary:
            want = {k: baseline["files"][name].get(k, 0) for k in COUNTS}
            if counts != want:
                found.append("canary %s: %s, the baseline says %s" % (name, counts, want))
            continue
        old = baseline.get("files", {}).get(name)
        if old is None:
            floor, why = threshold, "the threshold"
        elif score(old) - TOLERANCE > threshold:
            floor, why = score(old) - TOLERANCE, "its last full run, %.3f %%, less %.1f point" % (score(old), TOLERANCE)
        else:
            floor, why = min(threshold, score(old)), "the threshold" if score(old) >= threshold \
                else "its last full run, already below the threshold"
        if score(counts) < floor:
            found.append("%s scores %.3f %%, below %.3f %% (%s)" % (name, score(counts), floor, why))
    return found


def read_equivalent(path=EQUIVALENT):
    """{mutant: hash of its change} from equivalent.txt: "NAME  HASH  reason" a line; a missing hash or reason is an
    error. HASH is change_hash() of `mutmut show NAME` (the first 12 hex digits)."""
    names = {}
    if os.path.exists(path):
        for number, line in enumerate(open(path), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split(None, 2)
            if len(parts) < 3 or not re.match(r"^[0-9a-f]{12}$", parts[1]):
                raise SystemExit("%s:%d: %s needs its change's hash and a reason" % (path, number, parts[0]))
            names[parts[0]] = parts[1]
    return names


def module_name(path):
    """plugins/filter/x.py -> ansible_collections.dockerops.host.plugins.filter.x (mutmut's names start with it)."""
    return "ansible_collections.dockerops.host." + path[:-3].replace("/", ".")


def change_hash(diff):
    """The hash of a mutant's change: the removed and added lines of `mutmut show`, without the file names."""
    lines = [l for l in diff.splitlines() if l[:1] in "+-" and not l.startswith(("+++", "---"))]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:12]


def equivalent_problems(equivalent, codes, show):
    """Entries of equivalent.txt for these files' mutants that do not hold ([] when all do). show(name) -> diff."""
    found = []
    known = {}
    for per_file in codes.values():
        known.update(per_file)
    prefixes = tuple(module_name(f) + "." for f in codes)
    for name, digest in sorted(equivalent.items()):
        if not name.startswith(prefixes):
            continue
        if name not in known:
            found.append("equivalent.txt: %s is not a mutant of this run" % name)
        elif known[name] in KILLED or known[name] in TIMEOUT:
            found.append("equivalent.txt: %s is killed by the tests, so it is not equivalent" % name)
        else:
            now = change_hash(show(name))
            if now != digest:
                found.append("equivalent.txt: %s is now another change (hash %s, listed %s)" % (name, now, digest))
    return found


# Running mutmut ---------------------------------------------------------------------------------------------------

def prepare(work, files):
    """A copy of the collection where Python finds it (ansible_collections/dockerops/host), and mutmut's config."""
    if os.path.exists(work):
        shutil.rmtree(work)
    dest = os.path.join(work, COLL)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "output", "results.*")
    for tree in ("plugins", "roles", "playbooks", "tests"):  # the unit tests read roles/, playbooks/site.yml, tests/bench
        shutil.copytree(os.path.join(ROOT, tree), os.path.join(dest, tree), ignore=ignore)
    only = ", ".join('"%s"' % os.path.join(COLL, f) for f in files)
    with open(os.path.join(HERE, "pyproject.toml")) as f:
        config = f.read().replace("ONLY_MUTATE", only)
    with open(os.path.join(work, "pyproject.toml"), "w") as f:
        f.write(config)


def mutmut_env():
    """Nothing that points Python or Ansible at the checkout instead of the mutated copy."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "ANSIBLE_COLLECTIONS_PATH")}


def mutmut_show(work, name):
    return subprocess.run(["mutmut", "show", name], cwd=work, env=mutmut_env(), capture_output=True,
                          text=True).stdout


def run_mutmut(work, children, log_path):
    env = mutmut_env()
    with open(log_path, "w") as log:
        rc = subprocess.call(["mutmut", "run", "--max-children", str(children)], cwd=work, env=env,
                             stdout=log, stderr=subprocess.STDOUT)
    if rc != 0:
        with open(log_path, errors="replace") as log:
            sys.stderr.write(log.read()[-6000:].replace("\r", "\n"))
        raise SystemExit("mutmut run failed (rc=%d); its log: %s" % (rc, log_path))


def results(work, files):
    """{file: exit codes by mutant} and {file: unit-test files that exercised it} from mutmut's records."""
    with open(os.path.join(work, "mutants", "mutmut-stats.json")) as f:
        stats = json.load(f)
    tests_by_module = {}
    for function, tests in stats["tests_by_mangled_function_name"].items():
        module = function.rsplit(".", 1)[0]  # module.x_function or module.xǁClassǁmethod
        tests_by_module.setdefault(module, set()).update(t.split("::", 1)[0] for t in tests)
    codes, tests = {}, {}
    for name in files:
        meta = os.path.join(work, "mutants", COLL, name + ".meta")
        if not os.path.exists(meta):  # not in that run (mutmut writes one for every file it mutates)
            continue
        with open(meta) as f:
            codes[name] = json.load(f)["exit_code_by_key"]
        tests[name] = sorted(os.path.relpath(t, COLL) for t in tests_by_module.get(module_name(name), ()))
    return codes, tests


def record(baseline, fresh, survivors, tests, copy):
    """Into the baseline: the counts, and the hashes of the copies mutmut ran on (not of the checkout, which may have
    moved on while it ran)."""
    for name in fresh:
        baseline["files"][name] = dict(fresh[name], sha256=sha256(os.path.join(copy, name)), tests=tests[name],
                                       tests_sha256=tests_hash(tests[name], copy), survivors=survivors[name])


def stale(names, tests, copy, root=ROOT):
    """Files whose copy in the work tree (or whose tests there) differ from the checkout's: results that are not of
    the code and tests checked out."""
    return sorted(n for n in names if sha256(os.path.join(copy, n)) != sha256(os.path.join(root, n))
                  or tests_hash(tests[n], copy) != tests_hash(tests[n], root))


def markdown(baseline):
    lines = ["| file | mutants | killed | survived | no tests | equivalent | score |", "|---|---:|---:|---:|---:|---:|---:|"]
    for name, c in sorted(baseline["files"].items()) + [("**whole**", total(baseline["files"]))]:
        lines.append("| %s | %d | %d | %d | %d | %d | %.1f %% |" % (
            name if name.startswith("**") else "`%s`" % name, c["mutants"], c["killed"], c["survived"],
            c["no_tests"], c["equivalent"], score(c)))
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--all", action="store_true", help="mutate every file and rewrite baseline.json")
    mode.add_argument("--changed", action="store_true", help="mutate what changed since baseline.json")
    mode.add_argument("--report", action="store_true", help="print baseline.json's scores as a Markdown table")
    mode.add_argument("--carry", nargs="*", metavar="OLD=NEW",
                      help="keep the records of files whose code is unchanged but for renamed modules (OLD=NEW: "
                           "plugins/ paths renamed) and module docstrings; rewrites baseline.json")
    parser.add_argument("--files", nargs="*", help="with --all: these files and the recorded ones that changed "
                                                   "(baseline.json keeps the rest)")
    parser.add_argument("--only", action="store_true",
                        help="with --all --files: these files alone, even if other recorded files changed (to record "
                             "in parts; --changed still finds the others)")
    parser.add_argument("--children", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--work", default=os.path.join(ROOT, ".cache", "mutation"))
    parser.add_argument("--no-run", action="store_true",
                        help="take the results of the last mutmut run in --work instead of running it again")
    args = parser.parse_args()

    baseline = json.load(open(BASELINE)) if os.path.exists(BASELINE) else {"threshold": 0.0, "files": {}}
    if args.report:
        print(markdown(baseline))
        return 0
    if args.carry is not None:
        moves = dict(m.split("=", 1) for m in args.carry)
        for old_path, new_path in moves.items():
            # A move carried before (new_path recorded already) still names the module for the other files.
            if not (old_path in baseline["files"] or new_path in baseline["files"]) \
                    or not os.path.exists(os.path.join(ROOT, new_path)):
                raise SystemExit("--carry %s=%s: neither has a record, or %s does not exist" % (
                    old_path, new_path, new_path))
        for name, why in sorted(carry(baseline, moves).items()):
            print("%s: %s" % (name, why))
        with open(BASELINE, "w") as f:
            json.dump(baseline, f, indent=1, sort_keys=True)
            f.write("\n")
        return 0
    if args.changed and (not baseline["files"] or baseline.get("threshold", 0) <= 0):
        raise SystemExit("tests/mutation/baseline.json is missing or has no threshold: run make mutation-all first")
    before = copy.deepcopy(baseline)
    equivalent = read_equivalent()
    files = plugin_files()
    canary = None
    todo = changed_files(baseline, files)
    if args.all and args.files and args.only:  # the files named alone
        todo = {f: todo.get(f, "named") for f in args.files}
    elif args.all and args.files:  # the files named, and the recorded ones that changed
        todo = dict({f: why for f, why in todo.items() if f in baseline["files"]},
                    **{f: todo.get(f, "named") for f in args.files})
    elif args.all:
        todo = {f: todo.get(f, "full run") for f in files}
    elif not todo:
        canary = CANARY
        todo = {CANARY: "canary: nothing changed since the last full run"}
    for name, why in sorted(todo.items()):
        print("mutating %s: %s" % (name, why), flush=True)

    start = time.monotonic()
    work_copy = os.path.join(args.work, COLL)
    if not args.no_run:
        prepare(args.work, sorted(todo))
        run_mutmut(args.work, args.children, os.path.join(os.path.dirname(args.work), "mutation.log"))
    codes, tests = results(args.work, sorted(todo))
    missing = sorted(set(todo) - set(codes))
    if missing:
        raise SystemExit("mutmut left no record of %s in %s" % (", ".join(missing), args.work))
    old = stale(codes, tests, work_copy) if args.no_run else []
    if old:
        raise SystemExit("the last run in %s was not of the checked-out code or tests: %s" % (args.work, ", ".join(old)))
    fresh, survivors = {}, {}
    for name in sorted(todo):
        fresh[name], survivors[name] = classify(codes[name], equivalent)

    merged = {f: {k: rec.get(k, 0) for k in COUNTS} for f, rec in baseline["files"].items()
              if f in files and f not in fresh}
    merged.update(fresh)
    head = "%-52s %8s %7s %7s %9s %8s %6s %7s"
    row = "%-52s %8d %7d %7d %9d %8d %6d %6.2f%%%s"
    print("\n" + head % ("file", "mutants", "killed", "timeout", "survived", "no tests", "equiv", "score"))
    for name in sorted(merged):
        c = merged[name]
        print(row % (name, c["mutants"], c["killed"], c["timeout"], c["survived"], c["no_tests"], c["equivalent"],
                     score(c), "  *" if name in fresh else ""))
    whole = total(merged)
    print(row % ("whole", whole["mutants"], whole["killed"], whole["timeout"], whole["survived"], whole["no_tests"],
                 whole["equivalent"], score(whole), ""))
    print("(* mutated in this run, %d s; the rest as recorded in tests/mutation/baseline.json on %s)"
          % (time.monotonic() - start, baseline.get("recorded", "-")))

    found = problems(before.get("threshold", 0.0), merged, fresh, before, canary)
    found += equivalent_problems(equivalent, codes, lambda name: mutmut_show(args.work, name))
    if args.all:
        record(baseline, fresh, survivors, tests, work_copy)
        for name in list(baseline["files"]):  # gone from plugins/
            if name not in files:
                del baseline["files"][name]
        baseline["support"] = support_files(work_copy)
        baseline["recorded"] = time.strftime("%Y-%m-%d")
        baseline["score"] = round(score(total(baseline["files"])), 2)
        with open(BASELINE, "w") as f:
            json.dump(baseline, f, indent=1, sort_keys=True)
            f.write("\n")
        print("baseline.json rewritten: whole score %.2f %% (threshold %.2f %%)" % (baseline["score"],
                                                                                baseline.get("threshold", 0.0)))
    for name in sorted(fresh):
        if survivors[name] and not args.all:
            print("survivors in %s (mutmut show NAME in %s):" % (name, args.work))
            for line in survivors[name][:40]:
                print("  " + line)
    if found:
        print("\nMUTATION GATE FAILED:\n  " + "\n  ".join(found))
        return 1
    print("mutation gate passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
