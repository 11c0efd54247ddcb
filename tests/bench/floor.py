"""Row (h) of make bench: what Ansible itself costs the controller, on one bench host over ssh, with none of this
collection's code: a playbook of one ping, then the same with 20 tasks skipped by their condition, then with 20
`stat` round trips. The differences give the price of one task, which bounds what a no-change site.yml can cost
(its steps times that price, plus the start of ansible-playbook and one payload build per module it runs)."""
import os

TASKS = 20
PLAYBOOKS = {
    "h_floor_one_task": [],
    "h_floor_skipped": [{"name": "Skipped %d" % i, "ansible.builtin.debug": {"msg": "x"}, "when": False}
                        for i in range(TASKS)],
    "h_floor_remote": [{"name": "Stat %d" % i, "ansible.builtin.stat": {"path": "/etc/hostname"}}
                       for i in range(TASKS)],
}
ROWS = [
    ("h_floor_one_task", "(h) Ansible alone: a one-task playbook (ping), one host", None, ""),
    ("h_floor_skipped", "(h) the same and %d skipped tasks" % TASKS, None, ""),
    ("h_floor_remote", "(h) the same and %d `stat` round trips" % TASKS, None, ""),
]


def write_playbooks(work):
    """The three playbooks as JSON (which YAML reads), in the bench's work directory."""
    import json
    paths = {}
    for key, extra in PLAYBOOKS.items():
        play = {"name": key, "hosts": "all", "gather_facts": False,
                "tasks": [{"name": "Ping", "ansible.builtin.ping": {}}] + extra}
        paths[key] = os.path.join(work, key + ".yml")
        with open(paths[key], "w") as f:
            json.dump([play], f, indent=1)
    return paths


def floor_benchmarks(runs, results, start_hosts, remove_hosts, playbook, measure, work, name="bench-floor"):
    paths = write_playbooks(work)
    start_hosts([name])
    try:
        for _ in range(runs):
            for key, path in paths.items():
                measure(results, key, playbook([name], path))
    finally:
        remove_hosts([name])


def per_task(summary):
    """The price of one skipped task and of one round trip, from the medians: (wall s, CPU s) each, or None."""
    try:
        one, skipped, remote = (summary[k] for k in ("h_floor_one_task", "h_floor_skipped", "h_floor_remote"))
    except KeyError:
        return None
    return {kind: ((row["median"] - one["median"]) / TASKS, (row["cpu_median"] - one["cpu_median"]) / TASKS)
            for kind, row in (("skipped", skipped), ("remote", remote))}
