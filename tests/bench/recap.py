"""The PLAY RECAP of an ansible-playbook run, read back: which hosts changed what.

Used by bench.py so that a timed "no-change rerun" is one: a rerun that changed
anything, or whose recap names no host, stops the benchmark instead of being
timed as a rerun. Unit-tested in tests/unit/test_bench_recap.py on recorded
ansible-playbook output.
"""
import re

RECAP_LINE = re.compile(r"^(?P<host>\S+)\s+:\s+ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+"
                        r"unreachable=(?P<unreachable>\d+)\s+failed=(?P<failed>\d+)", re.M)
TASK_LINE = re.compile(r"^(?:TASK|RUNNING HANDLER) \[(?P<task>.*)\]", re.M)
CHANGED_LINE = re.compile(r"^changed: \[(?P<host>[^\]]+)\]", re.M)


def recap(stdout):
    """{host: {"ok": n, "changed": n, "unreachable": n, "failed": n}} from the last PLAY RECAP."""
    if "PLAY RECAP" not in stdout:
        return {}
    tail = stdout.rsplit("PLAY RECAP", 1)[1]
    return {m["host"]: {k: int(m[k]) for k in ("ok", "changed", "unreachable", "failed")}
            for m in RECAP_LINE.finditer(tail)}


def changed_tasks(stdout):
    """[(task, host)] for every "changed: [host]" line, under the task it belongs to."""
    found, task = [], None
    for line in stdout.splitlines():
        head = TASK_LINE.match(line)
        if head:
            task = head["task"]
            continue
        hit = CHANGED_LINE.match(line)
        if hit:
            found.append((task, hit["host"]))
    return found


def no_change_problems(stdout, hosts):
    """Why this run is not a no-change rerun of these hosts ([] when it is)."""
    seen = recap(stdout)
    if not seen:
        return ["no PLAY RECAP in the output"]
    problems = ["%s: not in the PLAY RECAP" % h for h in hosts if h not in seen]
    for host, counts in sorted(seen.items()):
        if counts["changed"]:
            tasks = [t for t, h in changed_tasks(stdout) if h == host]
            problems.append("%s: changed=%d (%s)" % (host, counts["changed"], "; ".join(tasks) or "task not shown"))
    return problems
