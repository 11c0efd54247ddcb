#!/usr/bin/env python3
"""make bench: how long a converge takes, measured on the lab (not part of the test run).

  (a) first converge of site.yml on a fresh Debian 12 container
  (b) the floor: the same packages with plain apt-get in the same image
  (c) a second converge with no changes (site.yml, and the install role alone),
      also with the settings the optimizations replaced (full facts, no pipelining)
  (d) N = 1, 5 and 10 fresh hosts converged at once
  (e) in a VM, lvm_thinpool against Docker's direct-lvm commands typed by hand
  (f) the audit report's HTML for 500 generated hosts (tests/bench/audit_fleet.py, seeded): render
      time, page size and the DOM a browser builds from it (no lab needed: --only html)
  (g) the no-change rerun of the fleet rows' hosts (controller CPU per host)
  (h) Ansible alone: one ping, then 20 skipped tasks, then 20 stat round trips (tests/bench/floor.py; --only floor)

The fleet rows (d)/(g) can run under another strategy (mitogen_linear with --mitogen PATH, a directory
holding the mitogen package, see docs/performance.md; --strategy free applies to site.yml's
"Docker hosts" and summary plays, its first two plays keep linear), with other forks
(--forks) or batches (--serial, site.yml's dockerops_serial); such runs are recorded under their own
keys (d_hosts_5_free, g_rerun_hosts_10_mitogen_linear_f5, ...). --prefix names the containers, so two
benchmarks on one machine do not remove each other's hosts.

Hosts are reached the way a fleet is: over ssh, with pipelining and a known
interpreter (the containers get sshd in a bench image built from the lab's).
The no-change rerun is also measured through the lab's docker connection.

Medians over --runs runs; writes JSON and a Markdown table (and docs/performance.md's
table between its BENCH markers with --doc).
"""
import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

import audit_fleet
import floor
from recap import no_change_problems

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCKER = os.environ.get("DOCKER", "docker")
MIRROR = os.environ.get("DOCKEROPS_FIXTURE_MIRROR", "")
FINGERPRINT = os.environ.get("DOCKEROPS_FIXTURE_FINGERPRINT", "")
BASE_IMAGE = "dockerops-lab/debian:bookworm"
IMAGE = "dockerops-lab/debian-sshd:bookworm"
PACKAGES = ["docker-ce", "docker-ce-cli", "containerd.io", "docker-buildx-plugin", "docker-compose-plugin",
            "docker-ce-rootless-extras", "python3-requests"]
LAB_FLAGS = ["--cap-add", "SYS_ADMIN", "--cap-add", "NET_ADMIN", "--cap-add", "NET_RAW", "--cap-add", "SYS_PTRACE",
             "--cap-add", "MKNOD", "--cap-add", "SYS_MODULE", "--security-opt", "seccomp=unconfined",
             "--security-opt", "apparmor=unconfined", "--cgroupns=host", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
             "--tmpfs", "/run", "--tmpfs", "/run/lock", "-v", "/var/lib/docker",
             "-v", "%s:/srv/docker-mirror:ro" % MIRROR]
VM_PORT = "22305"
WORK = os.path.join(ROOT, ".cache", "bench")
# The playbooks of this script; the collection measured may be another tree (--tree).
BENCH_DIR = os.path.join(ROOT, "tests", "bench")


def log(msg):
    print("[bench] %s" % msg, file=sys.stderr, flush=True)


def run(cmd, **kw):
    result = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        raise SystemExit("failed: %s" % " ".join(cmd))
    return result


# Controller CPU (user+sys) of each ansible-playbook run, by the key its time is recorded under.
CPU = {}


def children_cpu():
    """user+sys seconds of this process's waited-for children (and theirs): ansible-playbook and its forks."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(results, key, elapsed_cpu):
    """Records one run: its wall time under key, its controller CPU in CPU[key]."""
    elapsed, cpu = elapsed_cpu
    results[key].append(elapsed)
    CPU.setdefault(key, []).append(cpu)


def timed(cmd, **kw):
    start = time.monotonic()
    run(cmd, **kw)
    return time.monotonic() - start


KEY = os.path.join(WORK, "id_ed25519")


def wait_booted(name):
    """Until the host's systemd has booted; a host that does not within 30 s stops the benchmark, naming it."""
    state = ""
    for _ in range(60):
        state = subprocess.run([DOCKER, "exec", name, "systemctl", "is-system-running"],
                               capture_output=True, text=True).stdout.strip()
        if state in ("running", "degraded"):
            return
        time.sleep(0.5)
    status = subprocess.run([DOCKER, "inspect", "--format", "{{.State.Status}} (exit {{.State.ExitCode}})", name],
                            capture_output=True, text=True).stdout.strip()
    raise SystemExit("%s did not boot in 30 s: systemd says %r, the container is %s" % (name, state, status))


# What one systemd host takes of the kernel's inotify instances, measured in the lab (133 in use with about 31
# systemd containers up, 2026-11-30). All the lab's containers share root's limit: past it, a new container's
# systemd exits at once (status 255, no log) and the hosts of a running scenario can go with it.
INOTIFY_PER_HOST = 5


def check_inotify(hosts):
    """Refuses to start more systemd hosts than fs.inotify.max_user_instances leaves room for, naming the setting."""
    with open("/proc/sys/fs/inotify/max_user_instances") as f:
        limit = int(f.read())
    in_use = subprocess.run(["sh", "-c", "find /proc/[0-9]*/fd -lname 'anon_inode:inotify' 2>/dev/null | wc -l"],
                            capture_output=True, text=True).stdout.strip()
    need = int(in_use or 0) + INOTIFY_PER_HOST * hosts
    if need > limit:
        raise SystemExit("%d more systemd hosts need about %d inotify instances, and fs.inotify.max_user_instances is "
                         "%d (%s in use): raise it first, e.g. sysctl -w fs.inotify.max_user_instances=1024"
                         % (hosts, need, limit, in_use))


def build_image():
    """The lab image plus sshd, rebuilt when the lab image changes."""
    base = run([DOCKER, "image", "inspect", "--format", "{{.Id}}", BASE_IMAGE]).stdout.strip()
    have = subprocess.run([DOCKER, "image", "inspect", "--format", "{{index .Config.Labels \"dockerops.base\"}}", IMAGE],
                          capture_output=True, text=True).stdout.strip()
    if have == base:
        return
    log("building %s from %s" % (IMAGE, BASE_IMAGE))
    name = "bench-image-build"
    subprocess.run([DOCKER, "rm", "-f", "-v", name], capture_output=True)
    run([DOCKER, "run", "-d", "--name", name] + LAB_FLAGS + [BASE_IMAGE])
    try:
        wait_booted(name)
        run([DOCKER, "exec", name, "bash", "-c",
             "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "
             "openssh-server >/dev/null && systemctl enable ssh && rm -rf /var/lib/apt/lists/*"])
        run([DOCKER, "commit", "--change", "LABEL dockerops.base=%s" % base, name, IMAGE])
    finally:
        subprocess.run([DOCKER, "rm", "-f", "-v", name], capture_output=True)


def start_hosts(names):
    if not os.path.exists(KEY):
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", KEY])
    pub = open(KEY + ".pub").read().strip()
    check_inotify(len(names))
    for name in names:
        subprocess.run([DOCKER, "rm", "-f", "-v", name], capture_output=True)
        run([DOCKER, "run", "-d", "--name", name, "--hostname", name] + LAB_FLAGS + [IMAGE])
    for name in names:
        wait_booted(name)
        run([DOCKER, "exec", name, "bash", "-c", "install -d -m 0700 /root/.ssh && echo '%s' > /root/.ssh/authorized_keys "
             "&& chmod 0600 /root/.ssh/authorized_keys && systemctl start ssh" % pub])


def remove_hosts(names):
    subprocess.run([DOCKER, "rm", "-f", "-v"] + list(names), capture_output=True)


def address(name):
    return run([DOCKER, "inspect", "--format", "{{.NetworkSettings.IPAddress}}", name]).stdout.strip()


def inventory(names, connection="ssh"):
    path = os.path.join(WORK, "inventory-%d-%s.json" % (len(names), connection))
    if connection == "ssh":
        hosts = {n: {"ansible_host": address(n), "ansible_user": "root", "ansible_ssh_private_key_file": KEY,
                     "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null",
                     "ansible_python_interpreter": "/usr/bin/python3"} for n in names}
    else:
        hosts = {n: {"ansible_connection": "community.docker.docker", "ansible_python_interpreter": "/usr/bin/python3"}
                 for n in names}
    data = {"all": {"hosts": hosts,
                    "vars": {"docker_install_ubuntu_mirror": "custom",
                             "docker_install_ubuntu_mirror_url": "file:///srv/docker-mirror/linux",
                             "docker_install_ubuntu_key_fingerprint": FINGERPRINT}}}
    with open(path, "w") as f:
        json.dump(data, f)
    return path


# How the fleet rows run: set from the command line (--strategy, --mitogen, --forks, --serial).
FLEET = {"strategy": "linear", "mitogen": None, "forks": None, "serial": None}


def fleet_suffix():
    """The result-key suffix of the fleet settings: "" for the defaults, else e.g. "_mitogen_linear_f5"."""
    parts = [] if FLEET["strategy"] == "linear" else [FLEET["strategy"]]
    if FLEET["forks"]:
        parts.append("f%d" % FLEET["forks"])
    if FLEET["serial"] is not None:
        parts.append("s" + "".join(c for c in FLEET["serial"].replace("%", "pct") if c.isalnum()))
    return "".join("_" + p for p in parts)


def strategy_env():
    """ansible-playbook's environment for --strategy (and --mitogen: the package on PYTHONPATH, its strategy
    plugins found; its ssh enforces host keys unless told not to, ignoring the inventory's ssh options)."""
    env = {"ANSIBLE_STRATEGY": FLEET["strategy"]}
    if FLEET["strategy"].startswith("mitogen_"):
        path = os.path.abspath(FLEET["mitogen"] or "")
        if not os.path.isdir(os.path.join(path, "ansible_mitogen", "plugins", "strategy")):
            raise SystemExit("--strategy %s needs --mitogen DIR holding ansible_mitogen/ (pip install --target DIR "
                             "mitogen)" % FLEET["strategy"])
        env.update(PYTHONPATH=":".join(p for p in [path, os.environ.get("PYTHONPATH", "")] if p),
                   ANSIBLE_STRATEGY_PLUGINS=os.path.join(path, "ansible_mitogen", "plugins", "strategy"),
                   ANSIBLE_HOST_KEY_CHECKING="False")
    return env


def playbook(names, playbook_name="dockerops.host.site", env=None, extra=(), connection="ssh", rerun=False,
             forks=None):
    """Time one ansible-playbook run: (wall seconds, controller CPU seconds of ansible-playbook and its forks). A
    rerun must change nothing on any host, or the benchmark stops."""
    cpu_before = children_cpu()
    start = time.monotonic()
    result = run(["ansible-playbook", playbook_name, "-i", inventory(names, connection),
                  "-f", str(forks or max(len(names), 5))]
                 + list(extra), env=dict(os.environ, ANSIBLE_PIPELINING="True", ANSIBLE_STDOUT_CALLBACK="default",
                                         **(env or {})))
    elapsed = time.monotonic() - start
    cpu = children_cpu() - cpu_before
    if rerun:
        problems = no_change_problems(result.stdout, names)
        if problems:
            raise SystemExit("not a no-change rerun (%s): %s" % (playbook_name, "; ".join(problems)))
    return elapsed, cpu


FLOOR = """set -e
install -d -m 0755 /etc/apt/keyrings
cp /srv/docker-mirror/linux/debian/gpg /etc/apt/keyrings/docker.asc
echo "deb [signed-by=/etc/apt/keyrings/docker.asc] file:///srv/docker-mirror/linux/debian bookworm stable" \
  > /etc/apt/sources.list.d/docker.list
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends %s >/dev/null
systemctl start docker
docker info >/dev/null
""" % " ".join(PACKAGES)



def container_benchmarks(runs, results, prefix="bench-"):
    for r in range(runs):
        name = prefix + "host"
        log("run %d/%d: first converge, floor, reruns" % (r + 1, runs))
        start_hosts([name])
        measure(results, "a_first_converge", playbook([name]))
        measure(results, "c_rerun_site", playbook([name], rerun=True))
        measure(results, "c_rerun_install_role", playbook([name], os.path.join(BENCH_DIR, "install-only.yml"),
                                                          rerun=True))
        measure(results, "c_rerun_daemon_role", playbook([name], os.path.join(BENCH_DIR, "daemon-only.yml"),
                                                         rerun=True))
        measure(results, "c_rerun_site_docker", playbook([name], connection="docker", rerun=True))
        remove_hosts([name])
        start_hosts([name])
        results["b_apt_floor"].append(timed([DOCKER, "exec", name, "bash", "-c", FLOOR]))
        remove_hosts([name])
        # The install role alone on a fresh host: the floor's work plus the key pin, the repository's own read
        # and the engine's answer.
        start_hosts([name])
        measure(results, "a_first_converge_install_role", playbook([name], os.path.join(BENCH_DIR, "install-only.yml")))
        remove_hosts([name])


def fleet_benchmarks(runs, results, sizes, prefix="bench-", keep=False):
    suffix = fleet_suffix()
    env = strategy_env()
    extra = ["-e", json.dumps({"dockerops_serial": FLEET["serial"]})] if FLEET["serial"] is not None else []
    for n in sizes:
        for r in range(runs):
            names = ["%sfleet-%02d" % (prefix, i) for i in range(n)]
            log("run %d/%d: %d host(s) at once%s" % (r + 1, runs, n, suffix.replace("_", " ")))
            start_hosts(names)
            measure(results, "d_hosts_%d%s" % (n, suffix), playbook(names, env=env, extra=extra,
                                                                    forks=FLEET["forks"]))
            # The no-change rerun of the same hosts: what a fleet pays on every scheduled run.
            measure(results, "g_rerun_hosts_%d%s" % (n, suffix), playbook(names, env=env, extra=extra, rerun=True,
                                                                        forks=FLEET["forks"]))
            if not (keep and n == sizes[-1] and r == runs - 1):
                remove_hosts(names)


MANUAL = """set -e
pvcreate -q /dev/vdb
vgcreate -q docker /dev/vdb
lvcreate -q --wipesignatures y -n thinpool docker -l 95%VG
lvcreate -q --wipesignatures y -n thinpoolmeta docker -l 1%VG
lvconvert -q -y --zero n -c 512K --thinpool docker/thinpool --poolmetadata docker/thinpoolmeta
cat > /etc/lvm/profile/docker-thinpool.profile <<P
activation {
  thin_pool_autoextend_threshold=80
  thin_pool_autoextend_percent=20
}
P
lvchange -q --metadataprofile docker-thinpool docker/thinpool
lvs -o+seg_monitor >/dev/null
"""
TEARDOWN = "lvremove -q -y docker >/dev/null; vgremove -q -y docker >/dev/null; pvremove -q -y /dev/vdb >/dev/null; " \
           "rm -f /etc/lvm/profile/docker-thinpool.profile; wipefs -q -a /dev/vdb"


def vm_benchmarks(runs, results):
    name = "bench-vm"
    run(["bash", os.path.join(ROOT, "tests", "lab", "vm.sh"), "start", name, VM_PORT])
    key = os.path.join(os.environ["DOCKEROPS_CACHE"], "run", name, "id_ed25519")
    ssh = ["ssh", "-q", "-i", key, "-p", VM_PORT, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
           "-o", "BatchMode=yes", "root@127.0.0.1"]
    inv = os.path.join(WORK, "vm-inventory.ini")
    with open(inv, "w") as f:
        f.write("%s ansible_host=127.0.0.1 ansible_port=%s ansible_user=root ansible_ssh_private_key_file=%s "
                "ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null'\n"
                % (name, VM_PORT, key))
    try:
        run(ssh + ["true"])
        for r in range(runs):
            log("run %d/%d: thin pool in the VM" % (r + 1, runs))
            results["e_thinpool_manual"].append(timed(ssh + ["bash", "-s"], input=MANUAL))
            run(ssh + ["bash", "-c", TEARDOWN])
            # The module through ansible (ad hoc): its wall time and, as for the playbooks, its controller CPU.
            cpu = children_cpu()
            wall = timed(["ansible", name, "-i", inv, "-m", "dockerops.host.lvm_thinpool",
                          "-a", "vg=docker pool=thinpool devices=/dev/vdb"],
                         env=dict(os.environ, ANSIBLE_PIPELINING="True"))
            measure(results, "e_thinpool_module", (wall, children_cpu() - cpu))
            run(ssh + ["bash", "-c", TEARDOWN])
    finally:
        run(["bash", os.path.join(ROOT, "tests", "lab", "vm.sh"), "stop", name])


ROWS = [
    ("a_first_converge", "(a) first converge, site.yml, fresh Debian 12", "b_apt_floor", "<= 2x apt floor (#21)"),
    ("a_first_converge_install_role", "(a) first converge, install role alone", "b_apt_floor",
     "<= 1.5x apt floor (#21)"),
    ("b_apt_floor", "(b) floor: same packages with apt-get", None, ""),
    ("c_rerun_site", "(c) no-change rerun, site.yml", None, "<= 8 s (#21)"),
    ("c_rerun_site_docker", "(c) same, through the lab's docker connection", "c_rerun_site", ""),
    ("c_rerun_install_role", "(c) no-change rerun, install role alone", None, "<= 5 s"),
    ("c_rerun_daemon_role", "(c) no-change rerun, install and daemon roles", None, ""),
    ("d_hosts_1", "(d) 1 host", None, ""),
    ("d_hosts_5", "(d) 5 hosts at once", "d_hosts_1", ""),
    ("d_hosts_10", "(d) 10 hosts at once", "d_hosts_1", "<= 3x one host"),
    ("d_hosts_20", "(d) 20 hosts at once", "d_hosts_1", ""),
    ("g_rerun_hosts_1", "(g) no-change rerun, site.yml, 1 host", None, "<= 1 CPU s/host"),
    ("g_rerun_hosts_5", "(g) same, 5 hosts at once", "g_rerun_hosts_1", "<= 1 CPU s/host"),
    ("g_rerun_hosts_10", "(g) same, 10 hosts at once", "g_rerun_hosts_1", "<= 1 CPU s/host"),
    ("g_rerun_hosts_20", "(g) same, 20 hosts at once", "g_rerun_hosts_1", "<= 1 CPU s/host"),
    ("e_thinpool_manual", "(e) thin pool, commands by hand (one ssh session)", None, ""),
    ("e_thinpool_module", "(e) thin pool, lvm_thinpool module", "e_thinpool_manual", "<= 1.2x by hand"),
    ("f_audit_html_500", "(f) audit HTML, 500 generated hosts: render", None, ""),
] + floor.ROWS
HTML_HOSTS = 500


def html_benchmarks(runs, results, extra):
    """render_html on the generated fleet; the size and DOM of the page go beside the times."""
    log("audit HTML for %d generated hosts" % HTML_HOSTS)
    m = audit_fleet.measure(HTML_HOSTS, max(runs, 5))
    results["f_audit_html_500"].extend(m["runs"])
    keys = ("hosts", "bytes", "json_bytes", "findings", "actions", "dom_elements", "table_rows", "table_cells",
            "cells_shown", "details")
    extra["f_audit_html_500"] = {k: m[k] for k in keys}


def html_table(summary):
    m = summary.get("f_audit_html_500")
    if not m or "bytes" not in m:
        return ""
    return ("\n\n| audit HTML, %d hosts | page | of it JSON | findings, actions | DOM elements | table rows | "
            "table cells | cells laid out at open | collapsed sections |\n"
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n"
            "| (f) generated, seeded | %.1f MB | %.1f MB | %d, %d | %d | %d | %d | %d | %d |"
            % (m["hosts"], m["bytes"] / 1e6, m["json_bytes"] / 1e6, m["findings"], m["actions"], m["dom_elements"],
               m["table_rows"], m["table_cells"], m["cells_shown"], m["details"]))


def fleet_key(key):
    """(hosts, settings) of a fleet row's key (g_rerun_hosts_5_mitogen_linear: (5, "mitogen_linear")), else None."""
    for head in ("d_hosts_", "g_rerun_hosts_"):
        if key.startswith(head):
            count, _, settings = key[len(head):].partition("_")
            if count.isdigit():
                return int(count), settings
    return None


def hosts_of(key):
    """How many hosts a row's runs converged (d_hosts_5, g_rerun_hosts_5_free: 5; the single-host rows: 1)."""
    return (fleet_key(key) or (1,))[0]


def rows(summary):
    """ROWS, then a row for each fleet key measured with other settings (--strategy, --forks, --serial)."""
    known = {k for k, *_ in ROWS}
    more = sorted((k for k in summary if fleet_key(k) and k not in known),
                  key=lambda k: (k[0], fleet_key(k)[1], fleet_key(k)[0]))
    return ROWS + [(k, "(%s) %d host%s, %s" % (k[0], fleet_key(k)[0], "s" * (fleet_key(k)[0] != 1),
                                             fleet_key(k)[1] or "linear"), None,
                    "<= 1 CPU s/host" if k.startswith("g_") else "") for k in more]


def table(summary):
    lines = ["| measurement | median s | runs | ratio | controller CPU s | CPU s per host | target |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for key, label, versus, target in rows(summary):
        if key not in summary:
            continue
        s = summary[key]
        ratio = ""
        if versus and versus in summary:
            ratio = "%.2fx %s" % (s["median"] / summary[versus]["median"], versus.split("_", 1)[0])
        cpu = s.get("cpu_median")
        lines.append("| %s | %s | %d | %s | %s | %s | %s |" % (
            label, ("%.1f" if s["median"] >= 1 else "%.2f") % s["median"], len(s["runs"]), ratio,
            "%.1f" % cpu if cpu is not None else "", "%.2f" % (cpu / hosts_of(key)) if cpu is not None else "",
            target))
    return "\n".join(lines) + html_table(summary)


def collection_env(tree, link_root):
    """ANSIBLE_COLLECTIONS_PATH and PYTHONPATH with dockerops.host taken from tree (a link under link_root), the
    dependency collections as make lab set them up."""
    link = os.path.join(link_root, "ansible_collections", "dockerops", "host")
    os.makedirs(os.path.dirname(link), exist_ok=True)
    if os.path.islink(link):
        os.unlink(link)
    os.symlink(os.path.abspath(tree), link)
    deps = [p for p in os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(":")
            if p and not os.path.exists(os.path.join(p, "ansible_collections", "dockerops", "host"))]
    return {"ANSIBLE_COLLECTIONS_PATH": ":".join([link_root] + deps), "PYTHONPATH": link_root}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--fleet-runs", type=int, default=1)
    parser.add_argument("--sizes", default="1,5,10,20")
    parser.add_argument("--only", default="containers,fleet,vm,html,floor")
    parser.add_argument("--out", default=os.path.join(ROOT, "tests", "bench", "results.json"))
    parser.add_argument("--doc", action="store_true", help="write the table into docs/performance.md")
    parser.add_argument("--prefix", default="bench-", help="container names: PREFIXhost, PREFIXfleet-NN")
    parser.add_argument("--strategy", default="linear", help="fleet rows: linear, mitogen_linear with --mitogen, "
                                                             "free (the plays after site.yml's first two)")
    parser.add_argument("--mitogen", help="a directory holding the mitogen package (pip install --target DIR mitogen)")
    parser.add_argument("--forks", type=int, help="fleet rows: ansible-playbook -f (default: max(hosts, 5))")
    parser.add_argument("--serial", help="fleet rows: site.yml's dockerops_serial, e.g. 100%% (default: the "
                                         "playbook's [1, 10%%, 25%%])")
    parser.add_argument("--keep", action="store_true", help="leave the last fleet's hosts running (inventory in "
                                                            ".cache/bench/inventory-N-ssh.json)")
    parser.add_argument("--tree", help="measure the collection in this checkout (e.g. a git worktree of an older "
                                       "commit) instead of this one: side-by-side before/after with one script")
    args = parser.parse_args()
    FLEET.update(strategy=args.strategy, mitogen=args.mitogen, forks=args.forks, serial=args.serial)
    os.makedirs(WORK, exist_ok=True)
    if args.tree:
        # PYTHONPATH too: the lab's points at this tree, whose plugin_utils the filters would import otherwise.
        os.environ.update(collection_env(args.tree, os.path.join(WORK, "tree-collections")))
        log("measuring the collection in %s" % args.tree)
    results = {k: [] for k, *_ in ROWS}
    results.update({"d_hosts_%s" % n: [] for n in args.sizes.split(",")})
    results.update({"g_rerun_hosts_%s" % n: [] for n in args.sizes.split(",")})
    extra = {}
    only = args.only.split(",")
    if set(only) & {"containers", "fleet"} and not (MIRROR and FINGERPRINT):
        raise SystemExit("the lab's environment is needed: source .cache/lab.env (or make bench)")
    if set(only) & {"containers", "fleet", "floor"}:
        build_image()
    if "containers" in only:
        container_benchmarks(args.runs, results, args.prefix)
    if "fleet" in only:
        sizes = [int(n) for n in args.sizes.split(",")]
        suffix = fleet_suffix()
        results.update({"%s_hosts_%d%s" % (k, n, suffix): [] for k in ("d", "g_rerun") for n in sizes})
        fleet_benchmarks(args.fleet_runs, results, sizes, args.prefix, args.keep)
    if "vm" in only:
        vm_benchmarks(args.runs, results)
    if "floor" in only:
        floor.floor_benchmarks(args.runs, results, start_hosts, remove_hosts, playbook, measure, WORK,
                               name=args.prefix + "floor")
    if "html" in only:
        html_benchmarks(args.runs, results, extra)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    summary = {k: {"median": statistics.median(v), "runs": [round(x, 2) for x in v], "measured": stamp}
               for k, v in results.items() if v}
    for k, v in extra.items():
        summary[k].update(v)
    for k, v in CPU.items():
        summary[k].update(cpu_median=statistics.median(v), cpu_runs=[round(x, 2) for x in v])
    # A partial run (--only) keeps the other measurements of the previous one.
    if os.path.exists(args.out):
        with open(args.out) as f:
            for k, v in json.load(f).get("results", {}).items():
                summary.setdefault(k, v)
    doc = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "kernel": platform.release()},
           "measured": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "results": summary}
    with open(args.out, "w") as f:
        json.dump(doc, f, indent=2, sort_keys=True)
    md = table(summary)
    with open(os.path.splitext(args.out)[0] + ".md", "w") as f:
        f.write(md + "\n")
    print(md)
    if args.doc:
        doc_path = os.path.join(ROOT, "docs", "performance.md")
        text = open(doc_path).read()
        begin, end = "<!-- BENCH BEGIN -->", "<!-- BENCH END -->"
        head, rest = text.split(begin, 1)
        tail = rest.split(end, 1)[1]
        when = sorted({v.get("measured", doc["measured"]) for v in summary.values()})
        stamp = "Measured %s on %d CPUs (`make bench`, medians; raw runs in tests/bench/results.json)." % (
            " and ".join(when), doc["machine"]["cpus"])
        with open(doc_path, "w") as f:
            f.write(head + begin + "\n" + stamp + "\n\n" + md + "\n" + end + tail)


if __name__ == "__main__":
    main()
