#!/usr/bin/env python3
"""Before and after, interleaved: the no-change site.yml rerun of the same converged hosts with the collection of
another checkout (--tree, e.g. a git worktree of the commit before a change) and with this one, in turns (before,
after, before, ...), so that both see the same machine. Reports wall time and controller CPU (user+sys of
ansible-playbook and its children) per host; used for docs/performance.md's round 4.

  source .cache/lab.env
  git worktree add --detach /tmp/before COMMIT
  python tests/bench/ab.py --tree /tmp/before --sizes 1,5 --pairs 3 --out tests/bench/results-ab.json

The hosts are converged once, by this tree; a rerun that changes anything stops the script (bench.py's check).
"""
import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tree", required=True, help="the checkout measured as 'before'")
    parser.add_argument("--sizes", default="1,5")
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--out", default=os.path.join(bench.ROOT, "tests", "bench", "results-ab.json"))
    args = parser.parse_args()
    if not (bench.MIRROR and bench.FINGERPRINT):
        raise SystemExit("the lab's environment is needed: source .cache/lab.env")
    os.makedirs(bench.WORK, exist_ok=True)
    trees = {"before": bench.collection_env(args.tree, os.path.join(bench.WORK, "ab-before")),
             "after": bench.collection_env(bench.ROOT, os.path.join(bench.WORK, "ab-after"))}
    bench.build_image()
    runs = {}
    for n in [int(x) for x in args.sizes.split(",")]:
        names = ["bench-ab-%02d" % i for i in range(n)]
        bench.start_hosts(names)
        try:
            bench.log("%d host(s): first converge with this tree" % n)
            bench.playbook(names, env=trees["after"])
            for pair in range(args.pairs):
                for side in ("before", "after"):
                    wall, cpu = bench.playbook(names, env=trees[side], rerun=True)
                    bench.log("%d host(s), %s: %.1f s, %.2f CPU s" % (n, side, wall, cpu))
                    runs.setdefault("%s_%d" % (side, n), []).append({"wall": round(wall, 2), "cpu": round(cpu, 2)})
        finally:
            bench.remove_hosts(names)
    summary = {k: {"hosts": int(k.rsplit("_", 1)[1]), "runs": v,
                   "wall_median": statistics.median(r["wall"] for r in v),
                   "cpu_median": statistics.median(r["cpu"] for r in v)} for k, v in runs.items()}
    doc = {"measured": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "before_tree": os.path.abspath(args.tree),
           "load": os.getloadavg(), "results": summary}
    with open(args.out, "w") as f:
        json.dump(doc, f, indent=2, sort_keys=True)
    print("| no-change site.yml rerun | before | after |\n|---|---:|---:|")
    for n in sorted({s["hosts"] for s in summary.values()}):
        b, a = summary.get("before_%d" % n), summary.get("after_%d" % n)
        if b and a:
            print("| %d host(s): controller CPU s per host | %.2f | %.2f (%+d %%) |" % (
                n, b["cpu_median"] / n, a["cpu_median"] / n, round(100 * (a["cpu_median"] / b["cpu_median"] - 1))))
            print("| %d host(s): wall s | %.1f | %.1f |" % (n, b["wall_median"], a["wall_median"]))


if __name__ == "__main__":
    main()
