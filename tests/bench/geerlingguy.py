#!/usr/bin/env python3
"""geerlingguy.docker beside docker_install_ubuntu, interleaved on fresh bench hosts (issue #21's 0.5x targets).

The role is not part of this project and is not fetched by it: give a checkout of it (--role, the directory
holding its tasks/; e.g. `ansible-galaxy role install geerlingguy.docker -p DIR`, or a clone of its repository).

  source .cache/lab.env
  python tests/bench/geerlingguy.py --role DIR/geerlingguy.docker --rounds 3

Each round, each on its own fresh host (bench.py's sshd image, over ssh with pipelining, the lab's Docker CE
mirror and pinned key):
- geerlingguy.docker: first converge, then its no-change rerun. Its repository comes from the same mirror
  (docker_repo_url, docker_apt_gpg_key). The bench image ships without apt lists, as minimal images do, and the
  role installs its dependencies without refreshing the index, so the playbook refreshes it first where it is
  empty (one round trip on a rerun);
- docker_install_ubuntu (tests/bench/install-only.yml): the same two runs;
- the same with docker_install_ubuntu_python_packages: [python3-requests], the floor's package set (python3-docker,
  the docker SDK the collection installs by default, left out);
- the apt floor (bench.py's FLOOR), and the floor with python3-docker added.
Wall time and controller CPU (user+sys of ansible-playbook and its children) of every run go to --out.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402

PLAYBOOK = """---
- name: geerlingguy.docker, pointed at the lab's Docker CE mirror
  hosts: all
  become: true
  vars:
    docker_repo_url: file:///srv/docker-mirror/linux
    docker_apt_gpg_key: file:///srv/docker-mirror/linux/debian/gpg
  pre_tasks:
    - name: Refresh apt's index where it is empty
      ansible.builtin.shell: ls /var/lib/apt/lists/*_Packages* > /dev/null 2>&1 || apt-get update -qq
      changed_when: false
  roles:
    - %s
"""
FLOOR_SET = ["-e", json.dumps({"docker_install_ubuntu_python_packages": ["python3-requests"]})]
HOST = "bench-compare"


def write(out, runs, role, commit, rounds):
    summary = {k: {"runs": v, "wall_median": statistics.median(x["wall"] for x in v),
                   "cpu_median": statistics.median(x["cpu"] for x in v) if "cpu" in v[0] else None}
               for k, v in runs.items()}
    doc = {"measured": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "role": os.path.basename(role),
           "role_commit": commit or "unknown (not a git checkout)", "rounds": rounds, "results": summary}
    with open(out, "w") as f:
        json.dump(doc, f, indent=2, sort_keys=True)
    return summary


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--role", required=True, help="a checkout of geerlingguy.docker (the directory with tasks/)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", default=os.path.join(bench.ROOT, "tests", "bench", "results-geerlingguy.json"))
    args = parser.parse_args()
    if args.rounds < 1:
        raise SystemExit("--rounds: at least 1")
    role = os.path.abspath(args.role)
    if not os.path.isfile(os.path.join(role, "tasks", "main.yml")):
        raise SystemExit("--role %s: no tasks/main.yml there" % role)
    if not (bench.MIRROR and bench.FINGERPRINT):
        raise SystemExit("the lab's environment is needed: source .cache/lab.env")
    os.makedirs(bench.WORK, exist_ok=True)
    theirs = os.path.join(bench.WORK, "geerlingguy.yml")
    with open(theirs, "w") as f:
        f.write(PLAYBOOK % os.path.basename(role))
    ours = os.path.join(bench.BENCH_DIR, "install-only.yml")
    sides = [("geerlingguy", theirs, {"ANSIBLE_ROLES_PATH": os.path.dirname(role)}, ()),
             ("docker_install_ubuntu", ours, {}, ()),
             ("docker_install_ubuntu_floor_set", ours, {}, FLOOR_SET)]
    floors = [("floor", bench.FLOOR),
              ("floor_python3_docker", bench.FLOOR.replace("python3-requests", "python3-requests python3-docker"))]
    bench.build_image()
    runs = {}
    commit = subprocess.run(["git", "-C", role, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    try:
        for r in range(args.rounds):
            bench.log("round %d/%d, load %s" % (r + 1, args.rounds, " ".join("%.2f" % x for x in os.getloadavg())))
            for name, path, env, extra in sides:
                bench.start_hosts([HOST])
                for phase in ("first", "rerun"):
                    # bench.py's run: a failure stops the script, and so does a rerun that changes anything.
                    wall, cpu = bench.playbook([HOST], path, env=env, extra=extra, rerun=phase == "rerun")
                    bench.log("%s %s: %.1f s, %.2f CPU s" % (name, phase, wall, cpu))
                    runs.setdefault("%s_%s" % (name, phase), []).append({"wall": round(wall, 2), "cpu": round(cpu, 2)})
                bench.remove_hosts([HOST])
            for name, script in floors:
                bench.start_hosts([HOST])
                wall = bench.timed([bench.DOCKER, "exec", HOST, "bash", "-c", script])
                bench.log("%s: %.1f s" % (name, wall))
                runs.setdefault(name, []).append({"wall": round(wall, 2)})
                bench.remove_hosts([HOST])
            # Written after every round: a later failure keeps what was measured.
            summary = write(args.out, runs, role, commit, r + 1)
    finally:
        bench.remove_hosts([HOST])
    floor = summary["floor"]["wall_median"]
    print("| run | wall s | x floor | x geerlingguy.docker | controller CPU s |\n|---|---:|---:|---:|---:|")
    for key in sorted(summary):
        s = summary[key]
        versus = (summary.get("geerlingguy_" + key.rsplit("_", 1)[1])
                  if not key.startswith(("floor", "geerlingguy")) else None)
        print("| %s | %.1f | %s | %s | %s |" % (
            key, s["wall_median"], "%.2fx" % (s["wall_median"] / floor) if key.endswith("first") else "",
            "%.2fx" % (s["wall_median"] / versus["wall_median"]) if versus else "",
            "%.2f" % s["cpu_median"] if s["cpu_median"] is not None else ""))


if __name__ == "__main__":
    main()
