"""The module around module_utils._k8s_node: options, the order of the checks, problems, advisories, unknown,
fail_on_problem; on trees and answers recorded on real hosts, plus the synthetic inputs that
fixtures/k8s_node/README.md lists (each marked "Synthetic" where it is used)."""
import json
import socket

import pytest
from ansible.module_utils import basic

from ansible_collections.dockerops.host.plugins.modules import k8s_node_facts

from harness import ENGINE_DOWN_28, patch_exits, run_main
from k8s_tree import Tree, recorded, recorded_run

SOCK = "/run/containerd/containerd.sock"
ALL_BINS = ("ctr", "timeout", "containerd", "timedatectl", "conntrack", "iptables", "ip", "mount", "nsenter",
            "socat", "ip6tables")


def ready_tree():
    """A host with nothing to report: the VM's kernel state after modprobe (swap off, cgroup v2), the lab host's
    values for the three parameters, written down for boot, containerd's default config with SystemdCgroup, and a
    socket; no listener (the recorded TCP tables hold 6443 and 10250)."""
    t = Tree()
    t.proc_file("swaps", "vm/proc-swaps-none.txt")
    t.proc_file("modules", "vm/proc-modules-after.txt")
    # Synthetic: the modules-load.d and sysctl.d files a user writes (no recorded host has them).
    t.etc("/etc/modules-load.d/k8s.conf", "overlay\nbr_netfilter\n")
    t.sysctls(dict(zip(sorted(k8s_node_facts.SYSCTLS), recorded("lab-host/proc-sys-values.txt").split())))
    t.etc("/etc/sysctl.d/99-kubernetes.conf", "".join("%s = 1\n" % n for n in sorted(k8s_node_facts.SYSCTLS)))
    t.cgroup_v2()
    t.etc("/etc/containerd/config.toml", recorded("lab-container/config-default-systemdcgroup-1.6.20.toml"))
    t.unix_socket(SOCK)
    # The recorded TCP table's header line alone: no listener.
    t.write(t.proc + "/net/tcp", recorded("lab-container/proc-net-tcp").splitlines(True)[0])
    return t


@pytest.fixture
def host(monkeypatch):
    """Run the module on a tree: answers maps the first words of a command to a recorded (rc, out, err)."""
    patch_exits(monkeypatch)
    trees = []

    class Host(object):
        bins = set(ALL_BINS)
        calls = []
        answers = {
            "ctr version": recorded_run("lab-container/ctr-version-answering"),
            "ctr plugins": recorded_run("lab-container/ctr-plugins-systemdcgroup"),
            "timedatectl show": recorded_run("vm/timedatectl-synced"),
            "docker info": ENGINE_DOWN_28,
        }

        def tree(self, t=None):
            t = t or ready_tree()
            trees.append(t)
            monkeypatch.setattr(k8s_node_facts, "ROOTS", dict(proc=t.proc, sys=t.sys, root=t.root))
            return t

        def run(self, args, check_mode=False):
            if not trees:
                self.tree()
            if check_mode:
                args = dict(args, _ansible_check_mode=True)
            return run_main(k8s_node_facts.main, args)

    h = Host()

    def get_bin_path(self, name, *a, **k):
        return "/usr/bin/" + name if name in h.bins else None

    def run_command(self, argv, **kw):
        h.calls.append(argv)
        names = [w.rsplit("/", 1)[-1] for w in argv if w not in ("/usr/bin/timeout", "30")]
        if names[0] == "ctr":
            return h.answers["ctr version" if names[-1] == "version" else "ctr plugins"]
        return h.answers[" ".join(names[:2])]

    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", get_bin_path)
    monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
    hostname = "k8sfacts-rec"
    # Synthetic resolver stub: the recorded host name and address (getaddrinfo.txt), as one hand-built tuple.
    monkeypatch.setattr(k8s_node_facts, "RESOLVER", (
        lambda: hostname, lambda host, port: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("172.17.0.3", 0))]))
    yield h
    for t in trees:
        t.cleanup()


def test_a_ready_worker(host):
    kind, res = host.run({"fail_on_problem": True})
    assert kind == "Exit" and res["changed"] is False
    assert res["problems"] == [] and res["advisories"] == [] and res["unknown"] == [] and res["ready"] is True
    assert res["cgroup_version"] == 2
    assert [c["name"] for c in res["checks"]] == [
        "swap", "module overlay", "module br_netfilter", "sysctl net.bridge.bridge-nf-call-ip6tables",
        "sysctl net.bridge.bridge-nf-call-iptables", "sysctl net.ipv4.ip_forward", "cgroup_version",
        "cgroup_driver containerd", "cri", "binary conntrack", "binary iptables", "binary ip", "binary mount",
        "binary nsenter", "binary socat", "port 10250", "hostname", "time_sync"]
    assert all(c["status"] == "ok" for c in res["checks"])


def test_check_mode_reports_the_same(host):
    kind, res = host.run({}, check_mode=True)
    assert kind == "Exit" and res["ready"] is True


def test_control_plane_ports_held_are_problems_and_fail(host):
    t = host.tree()
    t.net()
    kind, res = host.run({"role": "control_plane", "fail_on_problem": True})
    assert kind == "Fail"
    ports = [c["name"] for c in res["checks"] if c["name"].startswith("port ")]
    assert ports == ["port 6443", "port 2379", "port 2380", "port 10250", "port 10257", "port 10259"]
    assert res["problems"] == [
        "port 6443: 6443/tcp is in use: socat (pid 546) listens on 0.0.0.0:6443",
        "port 10250: 10250/tcp is in use: socat (pid 547) listens on [::]:10250",
        "port 10259: 10259/tcp is in use: python3 (pid 548) listens on 127.0.0.1:10259"]
    assert res["msg"] == "The host is not ready for the kubelet: " + "; ".join(res["problems"])
    assert res["ready"] is False


def test_worker_ignores_the_control_plane_ports(host):
    t = host.tree()
    t.net()
    kind, res = host.run({})
    assert res["problems"] == ["port 10250: 10250/tcp is in use: socat (pid 547) listens on [::]:10250"]


def test_problems_without_fail_on_problem_only_report(host):
    t = host.tree()
    t.proc_file("swaps", "vm/proc-swaps-swapfile.txt")
    kind, res = host.run({})
    assert kind == "Exit" and res["ready"] is False
    assert res["problems"] == ["swap: swap is active (%s/swaps): /swapfile (file, 65532 KiB); the kubelet refuses to "
                               "start with swap on unless failSwapOn is false" % t.proc]


def test_unknown_alone_does_not_fail(host):
    host.answers = dict(host.answers, **{"timedatectl show": recorded_run("lab-host/timedatectl-no-systemd")})
    kind, res = host.run({"fail_on_problem": True})
    assert kind == "Exit" and res["ready"] is True and res["problems"] == []
    assert res["unknown"] == ["time_sync: timedatectl show -p NTPSynchronized gave no yes or no: System has not been "
                              "booted with systemd as init system (PID 1). Can't operate.; Failed to connect to bus: "
                              "Host is down"]


def test_cgroupfs_expected_against_a_systemd_runtime_is_a_warning_only(host):
    kind, res = host.run({"cgroup_driver": "cgroupfs", "fail_on_problem": True})
    assert kind == "Exit" and res["problems"] == [] and res["ready"] is True
    assert res["advisories"] == [
        "cgroup_driver containerd: /etc/containerd/config.toml sets SystemdCgroup = true under "
        'plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options (systemd), but the kubelet is to use '
        "cgroupfs"]


def test_docker_is_asked_when_set(host):
    host.bins.add("docker")
    # Synthetic triple: the VM's docker info JSON was recorded as stdout alone; rc 0 and an empty stderr are what
    # the recorded --format '{{.CgroupDriver}}' call of the same engine gave (vm/docker-info-cgroupdriver-v2.*).
    host.answers = dict(host.answers, **{"docker info": (0, recorded("vm/docker-info-v2.json"), "")})
    kind, res = host.run({"docker": True})
    assert ["/usr/bin/timeout", "30", "/usr/bin/docker", "info", "--format", "{{json .}}"] in host.calls
    docker = [c for c in res["checks"] if c["name"] == "cgroup_driver docker"]
    assert docker == [dict(name="cgroup_driver docker", status="ok", driver="systemd",
                           cause="the Docker engine uses systemd (docker info), as the kubelet")]
    names = [c["name"] for c in res["checks"]]
    assert names.index("cgroup_driver docker") == names.index("cgroup_driver containerd") + 1


@pytest.mark.parametrize("socket_path", ["/run/cri-dockerd.sock", "/var/run/cri-dockerd.sock"])
def test_docker_on_cgroupfs_behind_cri_dockerd_is_a_warning(host, socket_path):
    t = host.tree()
    t.unix_socket(socket_path)
    host.bins.add("docker")
    host.answers = dict(host.answers, **{"docker info": recorded_run("lab-host/docker-info-json")})
    kind, res = host.run({"cri_socket": "unix://" + socket_path, "fail_on_problem": True})
    assert kind == "Exit" and res["problems"] == []
    assert res["advisories"] == ["cgroup_driver docker: the Docker engine uses cgroupfs (docker info), the kubelet "
                                 "is to use systemd: two cgroup managers on one host"]


def test_docker_engine_down_is_unknown(host):
    host.bins.add("docker")
    kind, res = host.run({"docker": True})
    docker = [c for c in res["checks"] if c["name"] == "cgroup_driver docker"][0]
    assert docker["status"] == "unknown"
    assert docker["cause"].startswith("the Docker engine did not answer docker info: ")


@pytest.mark.parametrize("args,installed", [
    ({"docker": False}, True),
    ({"docker": False, "cri_socket": "unix:///run/cri-dockerd.sock"}, True),
    ({}, True),  # the default: the kubelet talks to containerd, not Docker
    ({"docker": True}, False),
])
def test_docker_not_asked_when_off_unused_or_absent(host, args, installed):
    if installed:
        host.bins.add("docker")
    kind, res = host.run(args)
    assert not [c for c in res["checks"] if c["name"] == "cgroup_driver docker"]
    assert not [argv for argv in host.calls if "/usr/bin/docker" in argv]


def test_ipv6_adds_forwarding_and_ip6tables(host):
    t = host.tree()
    kind, res = host.run({"ipv6": True})
    names = [c["name"] for c in res["checks"]]
    assert "sysctl net.ipv6.conf.default.forwarding" in names and names.count("binary ip6tables") == 1
    assert "sysctl net.ipv6.conf.all.forwarding" not in names
    # The parameter is not there in the tree: the kernel has no such parameter.
    assert [p.split(":")[0] for p in res["problems"]] == ["sysctl net.ipv6.conf.default.forwarding"]
    # Synthetic value: the VM recorded default.forwarding as 0 only with other values around it.
    t.sysctls({"net.ipv6.conf.default.forwarding": "0"})
    kind, res = host.run({"ipv6": True, "required_binaries": ["ip6tables", "iptables"]})
    names = [c["name"] for c in res["checks"]]
    assert [n for n in names if n.startswith("binary")] == ["binary ip6tables", "binary iptables"]
    assert res["problems"][0].endswith("the kernel has 0, 1 is wanted")


def test_without_ipv6_neither_is_checked(host):
    kind, res = host.run({})
    names = [c["name"] for c in res["checks"]]
    assert "sysctl net.ipv6.conf.default.forwarding" not in names and "binary ip6tables" not in names


def test_custom_binaries_and_modules(host):
    host.bins.discard("socat")
    host.bins.discard("nsenter")
    kind, res = host.run({"required_binaries": ["socat", "nsenter"], "modules": ["vxlan"], "fail_on_problem": True})
    assert kind == "Fail"
    assert res["advisories"] == [
        "module vxlan: not loaded: %s/modules does not list it, %s/module/vxlan does not exist" % (
            k8s_node_facts.ROOTS["proc"], k8s_node_facts.ROOTS["sys"]),
        "binary socat: socat not found in PATH, /sbin, /usr/sbin or /usr/local/sbin"]
    assert res["problems"] == ["binary nsenter: nsenter not found in PATH, /sbin, /usr/sbin or /usr/local/sbin"]
    assert res["msg"] == "The host is not ready for the kubelet: " + res["problems"][0]


def test_cri_socket_option_is_asked(host):
    t = host.tree()
    t.unix_socket("/run/k3s/containerd/containerd.sock")
    kind, res = host.run({"cri_socket": "unix:///run/k3s/containerd/containerd.sock"})
    assert ["/usr/bin/timeout", "30", "/usr/bin/ctr", "--address", "/run/k3s/containerd/containerd.sock",
            "--connect-timeout", "5s", "version"] in host.calls
    assert res["ready"] is True


def test_cri_disabled_as_docker_ships_it(host):
    t = host.tree()
    t.etc("/etc/containerd/config.toml", recorded("lab-container/config-cri-disabled.toml"))
    host.answers = dict(host.answers, **{"ctr plugins": recorded_run("lab-container/ctr-plugins-cri-disabled")})
    kind, res = host.run({})
    assert [p.split(":")[0] for p in res["problems"]] == ["cri"]
    assert [p.split(":")[0] for p in res["advisories"]] == ["cgroup_driver containerd"]
    assert res["problems"][0].endswith('(/etc/containerd/config.toml has disabled_plugins = ["cri"], as Docker\'s '
                                       "containerd.io ships it)")


def test_no_containerd_at_all(host):
    t = Tree()
    host.tree(t)
    host.bins.difference_update(["containerd", "ctr"])
    kind, res = host.run({})
    by = dict((c["name"], c) for c in res["checks"])
    assert by["cgroup_driver containerd"]["status"] == "unknown"
    assert by["cri"]["cause"] == "no socket at %s (is containerd running?)" % SOCK
    assert res["cgroup_version"] is None


def test_cgroup_v1_is_reported(host):
    t = Tree()
    t.cgroup_v1()
    host.tree(t)
    kind, res = host.run({})
    assert res["cgroup_version"] == 1


def test_cgroup_v1_refused_with_fail_on_cgroup_v1_naming_the_variables(host):
    t = Tree()
    t.cgroup_v1()
    host.tree(t)
    kind, res = host.run({"fail_on_cgroup_v1": True})
    assert kind == "Fail" and res["cgroup_version"] == 1
    assert res["msg"].startswith("The host runs on cgroup v1 (%s/fs/cgroup/cgroup.controllers does not "
                                 "exist; hierarchies: " % t.sys)
    assert res["msg"].count("cgroup v1 (") == 1 and res["msg"].count("the kubelet") == 1
    assert "Nothing was changed." in res["msg"]
    assert res["msg"].endswith("or set fail_on_cgroup_v1: false (for the k8s_node role: "
                               "k8s_node_allow_cgroup_v1: true) to accept v1.")
    # Without the option the same host is only reported.
    kind, res = host.run({})
    assert kind == "Exit" and res["cgroup_version"] == 1


@pytest.mark.parametrize("tree", ["v2", "unknown"])
def test_fail_on_cgroup_v1_leaves_v2_and_unknown_alone(host, tree):
    if tree == "unknown":
        host.tree(Tree())
    kind, res = host.run({"fail_on_cgroup_v1": True})
    assert kind == "Exit" and res["cgroup_version"] == (2 if tree == "v2" else None)


@pytest.mark.parametrize("value", ["/run/containerd/containerd.sock", "tcp://127.0.0.1:1234", "unix://relative"])
def test_cri_socket_must_be_a_unix_path(host, value):
    kind, res = host.run({"cri_socket": value})
    assert kind == "Fail" and res["msg"] == "cri_socket must be a unix:/// socket path, got %r" % value


@pytest.mark.parametrize("args", [{"role": "master"}, {"cgroup_driver": "systemd-cgroup"}])
def test_choices(host, args):
    kind, res = host.run(args)
    assert kind == "Fail" and "value of" in res["msg"]


def test_documented_defaults_match_the_argspec():
    import yaml
    doc = yaml.safe_load(k8s_node_facts.DOCUMENTATION)["options"]
    assert doc["required_binaries"]["default"] == ["conntrack", "iptables", "ip", "mount", "nsenter", "socat"]
    assert doc["modules"]["default"] == ["overlay", "br_netfilter"]
    assert doc["role"]["default"] == "worker" and doc["cri_socket"]["default"] == "unix://" + SOCK
    assert doc["docker"].get("default") is None and k8s_node_facts.IPV6_SYSCTLS == {
        "net.ipv6.conf.default.forwarding": "1"}
    assert json.dumps(k8s_node_facts.SYSCTLS, sort_keys=True) == json.dumps(
        {"net.bridge.bridge-nf-call-ip6tables": "1", "net.bridge.bridge-nf-call-iptables": "1",
         "net.ipv4.ip_forward": "1"}, sort_keys=True)
