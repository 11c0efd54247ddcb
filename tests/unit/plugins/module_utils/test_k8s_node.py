"""The checks of k8s_node_facts on trees and answers recorded on real hosts (fixtures/k8s_node/README.md)."""
import os
import shutil
import socket

import pytest

from ansible_collections.dockerops.host.plugins.module_utils import _containerd
from ansible_collections.dockerops.host.plugins.module_utils import _k8s_node as k8s

from k8s_tree import Tree, recorded, recorded_run

BRIDGE4 = "net.bridge.bridge-nf-call-iptables"
BRIDGE6 = "net.bridge.bridge-nf-call-ip6tables"
FORWARD = "net.ipv4.ip_forward"
WANTED = {BRIDGE4: "1", BRIDGE6: "1", FORWARD: "1"}


@pytest.fixture
def tree():
    t = Tree()
    yield t
    t.cleanup()


def values(rel):
    """{name: value} of a recorded `path value` listing (vm/proc-sys-values.txt)."""
    return dict((path.replace("/", "."), value) for path, value in
                (line.split() for line in recorded(rel).splitlines()))


def lab_host_values():
    # lab-host/proc-sys-values.txt: the three values cat printed, in this order.
    return dict(zip((BRIDGE4, BRIDGE6, FORWARD), recorded("lab-host/proc-sys-values.txt").split()))


# swap ---------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("rel", ["lab-host/proc-swaps-empty.txt", "vm/proc-swaps-none.txt"])
def test_swap_ok_when_proc_swaps_lists_none(tree, rel):
    tree.proc_file("swaps", rel)
    assert k8s.check_swap(tree.proc) == dict(name="swap", status="ok",
                                             cause="no swap is active (%s/swaps lists none)" % tree.proc)


def test_swap_problem_names_the_swap_file(tree):
    tree.proc_file("swaps", "vm/proc-swaps-swapfile.txt")
    r = k8s.check_swap(tree.proc)
    assert r["status"] == "problem"
    assert r["cause"] == ("swap is active (%s/swaps): /swapfile (file, 65532 KiB); the kubelet refuses to start with "
                          "swap on unless failSwapOn is false" % tree.proc)


def test_swap_unknown_without_proc_swaps(tree):
    r = k8s.check_swap(tree.proc)
    assert r == dict(name="swap", status="unknown",
                     cause="cannot read %s/swaps: No such file or directory" % tree.proc)


# modules ------------------------------------------------------------------------------------------------------------

def test_module_not_loaded_is_a_warning(tree):
    tree.proc_file("modules", "vm/proc-modules-before.txt")
    tree.sys_modules("vm/sys-module-ls-before.txt")
    r = k8s.check_modules(["br_netfilter", "overlay"], tree.proc, tree.sys, tree.root)
    assert [x["status"] for x in r] == ["warning", "warning"]
    assert r[0] == dict(name="module br_netfilter", status="warning", cause=(
        "not loaded: %s/modules does not list it, %s/module/br_netfilter does not exist" % (tree.proc, tree.sys)))


def test_module_loaded_now_and_at_boot_is_ok(tree):
    tree.proc_file("modules", "vm/proc-modules-after.txt")
    tree.sys_modules("vm/sys-module-ls-before.txt")
    # Synthetic: a modules-load.d file as a user writes it (no recording holds one; fixtures/k8s_node/README.md).
    tree.etc("/etc/modules-load.d/k8s.conf", "overlay\nbr_netfilter\n")
    r = k8s.check_modules(["br_netfilter", "overlay"], tree.proc, tree.sys, tree.root)
    assert r[0] == dict(name="module br_netfilter", status="ok",
                        cause="loaded (%s/modules) and loaded at boot (modules-load.d)" % tree.proc)
    assert r[1]["status"] == "ok"


def test_module_loaded_now_but_not_at_boot_is_a_warning(tree):
    tree.proc_file("modules", "vm/proc-modules-after.txt")
    # Synthetic: a modules-load.d file as a user writes it.
    tree.etc("/etc/modules-load.d/k8s.conf", "overlay\n")
    r = k8s.check_modules(["br-netfilter", "overlay"], tree.proc, tree.sys, tree.root)
    assert r[0] == dict(name="module br-netfilter", status="warning", cause=(
        "loaded now (%s/modules), but lost at reboot: no file of /etc/modules-load.d (or /etc/modules) loads it"
        % tree.proc))
    assert r[1]["status"] == "ok"


def test_module_boot_list_unreadable_is_unknown(tree, monkeypatch):
    # Synthetic: the boot list reader is made to fail as on an unreadable /etc/modules-load.d.
    tree.proc_file("modules", "vm/proc-modules-after.txt")

    def boom(root):
        raise k8s.sysctl.SysctlError("cannot list /etc/modules-load.d: Permission denied")
    monkeypatch.setattr(k8s.sysctl, "modules_loaded_at_boot", boom)
    r = k8s.check_modules(["overlay", "vxlan"], tree.proc, tree.sys, tree.root)
    assert r[0] == dict(name="module overlay", status="unknown", cause=(
        "loaded (%s/modules), but whether it is loaded at boot is unknown: cannot list /etc/modules-load.d: "
        "Permission denied" % tree.proc))
    assert r[1]["status"] == "warning"


def test_built_in_module_without_proc_modules(tree):
    # The lab host's kernel: no /proc/modules; overlay built in with parameters, br_netfilter invisible.
    tree.sys_modules("lab-host/sys-module-ls.txt")
    r = k8s.check_modules(["overlay", "br_netfilter"], tree.proc, tree.sys, tree.root)
    assert r[0] == dict(name="module overlay", status="ok", cause=(
        "built into the kernel (%s/module/overlay exists, %s/modules does not list it)" % (tree.sys, tree.proc)))
    release = os.uname()[2]
    assert r[1] == dict(name="module br_netfilter", status="unknown", cause=(
        "cannot read %s/modules: No such file or directory (no loadable modules?), %s/module/br_netfilter does "
        "not exist and /lib/modules/%s/modules.builtin (unreadable) does not list it: built in without parameters, "
        "or absent" % (tree.proc, tree.sys, release)))


# Synthetic: no recorded kernel builds br_netfilter in with a /lib/modules tree (the lab host's kernel has none, the
# VM's builds it as a module); these modules.builtin lines are written in the kernel's format (kernel/PATH.ko).
BUILTIN = "kernel/fs/overlayfs/overlay.ko\nkernel/net/bridge/br_netfilter.ko\nkernel/net/netfilter/ip_vs-ftp.ko\n"


def test_built_in_module_from_modules_builtin(tree):
    # /proc/modules present (the VM's, before modprobe), br_netfilter built in (=y) without a /sys/module entry.
    tree.proc_file("modules", "vm/proc-modules-before.txt")
    tree.write(tree.proc + "/sys/kernel/osrelease", "6.1.0-test\n")
    tree.etc("/lib/modules/6.1.0-test/modules.builtin", BUILTIN)
    r = k8s.check_modules(["br_netfilter", "ip-vs-ftp", "vxlan"], tree.proc, tree.sys, tree.root)
    assert r[0] == dict(name="module br_netfilter", status="ok",
                        cause="built into the kernel (/lib/modules/6.1.0-test/modules.builtin lists it)")
    assert r[1]["status"] == "ok"
    assert r[2] == dict(name="module vxlan", status="warning", cause=(
        "not loaded: %s/modules does not list it, %s/module/vxlan does not exist and "
        "/lib/modules/6.1.0-test/modules.builtin does not list it" % (tree.proc, tree.sys)))


def test_modules_builtin_without_proc_modules(tree):
    tree.write(tree.proc + "/sys/kernel/osrelease", "6.18.44-test\n")
    tree.etc("/lib/modules/6.18.44-test/modules.builtin", "kernel/fs/overlayfs/overlay.ko\n")
    r = k8s.check_modules(["br_netfilter"], tree.proc, tree.sys, tree.root)
    assert r[0]["status"] == "unknown"
    assert r[0]["cause"].endswith("/lib/modules/6.18.44-test/modules.builtin does not list it: built in without "
                                  "parameters, or absent")


def test_kernel_release_from_proc_else_uname(tree):
    assert k8s.kernel_release(tree.proc) == os.uname()[2]
    tree.write(tree.proc + "/sys/kernel/osrelease", "\n")
    assert k8s.kernel_release(tree.proc) == os.uname()[2]
    tree.write(tree.proc + "/sys/kernel/osrelease", "6.1.0-50-amd64\n")
    assert k8s.kernel_release(tree.proc) == "6.1.0-50-amd64"


def test_builtin_modules_reads_only_ko_names(tree):
    tree.etc("/lib/modules/r/modules.builtin", "kernel/net/bridge/br_netfilter.ko\n\nmodules.order\n")
    assert k8s.builtin_modules(tree.root, "r") == ({"br_netfilter"}, "/lib/modules/r/modules.builtin")
    assert k8s.builtin_modules(tree.root, "other") == (None, "/lib/modules/other/modules.builtin")


# sysctls ------------------------------------------------------------------------------------------------------------

def test_sysctls_ok_now_and_at_boot(tree):
    tree.sysctls(lab_host_values())
    # Synthetic: a sysctl.d file as a user writes it (no recording holds one; fixtures/k8s_node/README.md).
    tree.etc("/etc/sysctl.d/99-kubernetes.conf", "".join("%s = 1\n" % n for n in sorted(WANTED)))
    r = k8s.check_sysctls(WANTED, tree.proc, tree.sys, tree.root)
    assert [x["name"] for x in r] == ["sysctl " + n for n in sorted(WANTED)]
    assert all(x["status"] == "ok" and x["sysctl_status"] == "ok" and x["value"] == "1" for x in r)
    assert r[2]["cause"] == "%s/sys/net/ipv4/ip_forward is 1, and /etc/sysctl.d/99-kubernetes.conf:3 sets it at boot" % (
        tree.proc)
    assert r[2]["boot_source"] == "/etc/sysctl.d/99-kubernetes.conf:3" and r[2]["boot_value"] == "1"


def test_sysctl_lost_at_reboot_is_a_warning(tree):
    tree.sysctls(lab_host_values())
    r = k8s.check_sysctls({FORWARD: "1"}, tree.proc, tree.sys, tree.root)
    assert r == [dict(name="sysctl " + FORWARD, status="warning", sysctl_status="not_persisted", value="1",
                      boot_value=None, boot_source=None,
                      cause="%s/sys/net/ipv4/ip_forward: set now, but lost at reboot: no sysctl.d file sets it"
                      % tree.proc)]


def test_sysctl_wrong_value_is_a_problem(tree):
    tree.sysctls(values("vm/proc-sys-values.txt"))  # ip_forward 0 in the VM before an engine started
    r = k8s.check_sysctls({FORWARD: "1", BRIDGE4: "1"}, tree.proc, tree.sys, tree.root)
    assert r[1]["status"] == "problem" and r[1]["sysctl_status"] == "mismatch" and r[1]["value"] == "0"
    assert r[1]["cause"] == "%s/sys/net/ipv4/ip_forward: the kernel has 0, 1 is wanted" % tree.proc
    assert r[0]["sysctl_status"] == "not_persisted" and r[0]["status"] == "warning"


def test_sysctl_severity_kubeadm_checks_forwarding_only(tree):
    # Synthetic values: no recording has a bridge parameter at 0 or an IPv6 default.forwarding at 0.
    tree.sysctls({BRIDGE4: "0", "net.ipv6.conf.default.forwarding": "0"})
    r = k8s.check_sysctls({BRIDGE4: "1", "net.ipv6.conf.default.forwarding": "1"}, tree.proc, tree.sys, tree.root)
    assert [(x["name"], x["status"], x["sysctl_status"]) for x in r] == [
        ("sysctl net.bridge.bridge-nf-call-iptables", "warning", "mismatch"),
        ("sysctl net.ipv6.conf.default.forwarding", "problem", "mismatch")]
    assert k8s.KUBEADM_SYSCTLS == ("net.ipv4.ip_forward", "net.ipv6.conf.default.forwarding")


def test_sysctl_missing_names_br_netfilter(tree):
    tree.proc_file("modules", "vm/proc-modules-before.txt")
    r = k8s.check_sysctls({BRIDGE4: "1"}, tree.proc, tree.sys, tree.root)
    assert r[0]["status"] == "warning" and r[0]["sysctl_status"] == "missing" and r[0]["value"] is None
    assert r[0]["cause"] == ("%s/sys/net/bridge/bridge-nf-call-iptables: net.bridge.* exists only once the "
                             "br_netfilter module is loaded, and it is not loaded" % tree.proc)


def test_sysctl_missing_with_br_netfilter_in_sys_module(tree):
    # No /proc/modules (the lab host's kernel), br_netfilter's /sys/module entry as the VM shows a loaded one.
    for name in recorded("vm/sys-module-br-overlay-ls.txt").split("\n\n")[0].splitlines()[1:]:
        tree.write(os.path.join(tree.sys, "module", "br_netfilter", name), "")
    r = k8s.check_sysctls({BRIDGE4: "1"}, tree.proc, tree.sys, tree.root)
    assert r[0]["cause"] == ("%s/sys/net/bridge/bridge-nf-call-iptables: br_netfilter is loaded but the kernel has no "
                             "net.bridge.bridge-nf-call-iptables" % tree.proc)


def test_sysctl_error_makes_every_parameter_unknown(tree, monkeypatch):
    # Synthetic: module_utils._sysctl is made to fail as on an unreadable sysctl.d file.
    def boom(*a, **k):
        raise k8s.sysctl.SysctlError("cannot read /etc/sysctl.d/x.conf: Permission denied")
    monkeypatch.setattr(k8s.sysctl, "check", boom)
    r = k8s.check_sysctls({FORWARD: "1", BRIDGE4: "1"}, tree.proc, tree.sys, tree.root)
    assert r == [dict(name="sysctl " + n, status="unknown", cause="cannot read /etc/sysctl.d/x.conf: Permission denied")
                 for n in (BRIDGE4, FORWARD)]


# cgroups ------------------------------------------------------------------------------------------------------------

def test_cgroup_v2_with_the_controllers_is_ok(tree):
    tree.cgroup_v2()
    assert k8s.cgroup_version(tree.sys) == (2, ["cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc"])
    assert k8s.check_cgroup_version(tree.sys) == dict(
        name="cgroup_version", status="ok", version=2,
        cause="cgroup v2 (%s/fs/cgroup/cgroup.controllers: cpuset cpu io memory hugetlb pids rdma misc)" % tree.sys)


def test_cgroup_v2_lacking_a_controller_is_a_problem(tree, monkeypatch):
    # Synthetic: the recorded controllers have all four; the wanted list is changed to two that cgroup v2 never has.
    tree.cgroup_v2()
    monkeypatch.setattr(k8s, "CGROUP_V2_CONTROLLERS", ("cpu", "memory", "blkio", "devices"))
    r = k8s.check_cgroup_version(tree.sys)
    assert r["name"] == "cgroup_version" and r["status"] == "problem" and r["version"] == 2
    assert r["cause"] == ("cgroup v2, but %s/fs/cgroup/cgroup.controllers lacks blkio, devices (the kubelet needs cpu, "
                          "memory, blkio, devices)" % tree.sys)


def test_cgroup_v1_is_a_problem(tree):
    tree.cgroup_v1()
    r = k8s.check_cgroup_version(tree.sys)
    assert r["status"] == "problem" and r["version"] == 1
    assert r["cause"].startswith("cgroup v1 (%s/fs/cgroup/cgroup.controllers does not exist; hierarchies: blkio cpu "
                                 "cpu,cpuacct" % tree.sys)
    assert r["cause"].endswith("unified): the kubelet 1.35 and later refuse to start on cgroup v1 unless "
                               "failCgroupV1 is false")


def test_cgroup_v1_refusal_only_on_v1(tree):
    tree.cgroup_v1()
    v1 = k8s.check_cgroup_version(tree.sys)
    msg = k8s.cgroup_v1_refusal(v1)
    assert msg.startswith("The host runs on cgroup v1 (%s/fs/cgroup/cgroup.controllers does not exist; hierarchies: "
                          "blkio cpu " % tree.sys)
    assert msg.endswith("unified): the kubelet 1.35 and later refuse to start on cgroup v1 unless failCgroupV1 is "
                        "false (1.31 and later deprecate it). Nothing was changed. Boot the host on cgroup v2 "
                        "(systemd.unified_cgroup_hierarchy=1 on the kernel command line), or set "
                        "fail_on_cgroup_v1: false to accept v1.")
    # Each said once: no "cgroup v1 (cgroup v1 (", one kubelet sentence.
    assert msg.count("cgroup v1 (") == 1 and msg.count("the kubelet") == 1
    assert k8s.cgroup_v1_refusal(v1, "X: true").endswith("or set X: true to accept v1.")
    # Synthetic checks: a v2 problem (a missing controller) and an unknown version are not refused here.
    assert k8s.cgroup_v1_refusal(dict(name="cgroup_version", status="problem", version=2, cause="x")) is None
    assert k8s.cgroup_v1_refusal(dict(name="cgroup_version", status="unknown", version=None, cause="x")) is None


def test_cgroup_unknown_without_sys_fs_cgroup(tree):
    r = k8s.check_cgroup_version(tree.sys)
    assert r == dict(name="cgroup_version", status="unknown", version=None,
                     cause="cannot list %s/fs/cgroup: No such file or directory" % tree.sys)


def test_cgroup_unknown_when_not_mounted(tree):
    os.makedirs(os.path.join(tree.sys, "fs", "cgroup"))
    assert k8s.check_cgroup_version(tree.sys)["cause"] == "%s/fs/cgroup is empty (cgroups not mounted)" % tree.sys
    assert k8s.cgroup_version(tree.sys)[0] is None


# containerd's config ------------------------------------------------------------------------------------------------

CONFIGS = ["config-debian-1.6.20.toml", "config-default-1.6.20.toml", "config-default-systemdcgroup-1.6.20.toml",
           "config-cri-disabled.toml"]


@pytest.mark.parametrize("name", CONFIGS)
def test_tolerant_reader_reads_containerd_configs_as_tomllib(name):
    tomllib = pytest.importorskip("tomllib")
    text = recorded("lab-container/" + name)
    assert k8s.parse_toml_tolerant(text) == tomllib.loads(text)


def test_tolerant_reader_multiline_arrays_comments_and_dotted_keys():
    text = ('# comment\nversion = 2 # trailing\ndisabled_plugins = [\n  "cri", # why\n  \'aufs\'\n]\n'
            'a.b = "x # not a comment"\n[plugins."io.containerd.grpc.v1.cri".containerd]\n  snapshotter = "overlayfs"\n'
            'oops\n  n = -3\n  t = { a = 1 }\n')
    assert k8s.parse_toml_tolerant(text) == {
        "version": 2, "disabled_plugins": ["cri", "aufs"], "a": {"b": "x # not a comment"},
        "plugins": {"io.containerd.grpc.v1.cri": {"containerd": {"snapshotter": "overlayfs", "n": -3,
                                                                   "t": "{ a = 1 }"}}}}


def test_tolerant_reader_keeps_what_it_does_not_know_raw():
    text = ('u = "abc\nr = a]\ny = X # c\nw = XyX\nX.y = 1\n[Xtra]\njunk]\nz = 1\n'
            'm = [\n  "a",\n  "b",\n  "c"\n]\n')
    assert k8s.parse_toml_tolerant(text) == {
        "u": '"abc', "r": "a]", "y": "X", "w": "XyX", "X": {"y": 1}, "Xtra": {"z": 1, "m": ["a", "b", "c"]}}


@pytest.mark.parametrize("use_tomllib", [True, False])
@pytest.mark.parametrize("name,value,driver", [
    ("config-debian-1.6.20.toml", None, "cgroupfs"),
    ("config-default-1.6.20.toml", False, "cgroupfs"),
    ("config-default-systemdcgroup-1.6.20.toml", True, "systemd"),
])
def test_containerd_driver_from_each_config(tree, monkeypatch, use_tomllib, name, value, driver):
    if use_tomllib:
        pytest.importorskip("tomllib")
    else:
        monkeypatch.setattr(k8s, "tomllib", None)
    tree.etc("/etc/containerd/config.toml", recorded("lab-container/" + name))
    config, why = k8s.read_containerd_config(tree.root)
    assert why is None
    where = 'plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options'
    assert k8s.containerd_systemd_cgroup(config) == (value, "runc", where)
    for expected in ("systemd", "cgroupfs"):
        r = k8s.check_containerd_cgroup_driver(expected, config, None, True)
        assert r["driver"] == driver and r["status"] == ("ok" if expected == driver else "warning")
    r = k8s.check_containerd_cgroup_driver("systemd", config, None, True)
    if value is None:
        assert r["cause"] == ("/etc/containerd/config.toml does not set SystemdCgroup under %s: the default is false "
                              "(cgroupfs), but the kubelet is to use systemd" % where)
    else:
        assert r["cause"] == "/etc/containerd/config.toml sets SystemdCgroup = %s under %s (%s)%s" % (
            str(value).lower(), where, driver,
            ", as the kubelet's systemd" if value else ", but the kubelet is to use systemd")


def test_containerd_driver_follows_default_runtime_name_and_config_version():
    # Synthetic configurations: no containerd 2.x (version 3) or crun was recorded; the layouts are containerd's.
    config = {"version": 3, "plugins": {"io.containerd.cri.v1.runtime": {"containerd": {
        "default_runtime_name": "crun", "runtimes": {"crun": {"options": {"SystemdCgroup": True}},
                                                     "runc": {"options": {"SystemdCgroup": False}}}}}}}
    assert k8s.containerd_systemd_cgroup(config) == (
        True, "crun", 'plugins."io.containerd.cri.v1.runtime".containerd.runtimes.crun.options')
    old = {"plugins": {"cri": {"containerd": {"runtimes": {"runc": {"options": {"SystemdCgroup": True}}}}}}}
    assert k8s.containerd_systemd_cgroup(old)[0] is True
    assert k8s.containerd_systemd_cgroup({"version": 2})[2] == (
        'plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options')
    # A version this module does not know is read as version 2.
    assert k8s.containerd_systemd_cgroup({"version": 4})[2] == (
        'plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options')


def test_containerd_without_config(tree):
    assert k8s.read_containerd_config(tree.root) == (None, None)
    r = k8s.check_containerd_cgroup_driver("systemd", None, None, True)
    assert r == dict(name="cgroup_driver containerd", status="warning", driver="cgroupfs", cause=(
        "no /etc/containerd/config.toml: containerd's built-in default leaves runc's SystemdCgroup false (cgroupfs), "
        "but the kubelet is to use systemd"))
    assert k8s.check_containerd_cgroup_driver("cgroupfs", None, None, True)["status"] == "ok"
    r = k8s.check_containerd_cgroup_driver("systemd", None, None, False)
    assert r == dict(name="cgroup_driver containerd", status="unknown", driver=None, cause=(
        "no /etc/containerd/config.toml and no containerd binary: containerd does not seem to be installed"))


def test_containerd_config_that_does_not_parse_is_unknown(tree):
    pytest.importorskip("tomllib")
    # Debian's recorded config cut inside its first table header.
    tree.etc("/etc/containerd/config.toml", recorded("lab-container/config-debian-1.6.20.toml")[:30])
    config, why = k8s.read_containerd_config(tree.root)
    assert config is None and why.startswith("cannot parse /etc/containerd/config.toml: ")
    r = k8s.check_containerd_cgroup_driver("systemd", config, why, True)
    assert r == dict(name="cgroup_driver containerd", status="unknown", driver=None, cause=why)


def test_containerd_config_that_cannot_be_read_is_unknown(tree):
    os.makedirs(tree.root + "/etc/containerd/config.toml")
    config, why = k8s.read_containerd_config(tree.root)
    assert config is None
    assert why == "cannot read %s/etc/containerd/config.toml: Is a directory" % tree.root


# Docker's cgroup driver ---------------------------------------------------------------------------------------------

def test_docker_driver_agreement():
    import json
    v2 = json.loads(recorded("vm/docker-info-v2.json"))
    assert recorded_run("vm/docker-info-cgroupdriver-v2") == (0, "systemd\n", "")
    assert k8s.check_docker_cgroup_driver("systemd", v2, None) == dict(
        name="cgroup_driver docker", status="ok", driver="systemd",
        cause="the Docker engine uses systemd (docker info), as the kubelet")
    assert k8s.check_docker_cgroup_driver("cgroupfs", v2, None) == dict(
        name="cgroup_driver docker", status="warning", driver="systemd",
        cause="the Docker engine uses systemd (docker info), the kubelet is to use cgroupfs: two cgroup managers on "
              "one host")
    assert k8s.check_docker_cgroup_driver("systemd", None, "docker info timed out after 30s") == dict(
        name="cgroup_driver docker", status="unknown", driver=None,
        cause="the Docker engine did not answer docker info: docker info timed out after 30s")


# CRI ----------------------------------------------------------------------------------------------------------------

class FakeModule(object):
    def __init__(self, answers, bins=("ctr", "timeout")):
        self.answers = list(answers)
        self.calls = []
        self.bins = bins

    def get_bin_path(self, name):
        return "/usr/bin/" + name if name in self.bins else None

    def run_command(self, argv, environ_update=None):
        self.calls.append(argv)
        assert environ_update == {"LANG": "C"}
        return self.answers.pop(0)


SOCK = "/run/containerd/containerd.sock"
CTR = ["/usr/bin/timeout", "30", "/usr/bin/ctr", "--address", SOCK, "--connect-timeout", "5s"]


def test_cri_answers_with_the_cri_plugin_ok(tree):
    tree.unix_socket(SOCK)
    m = FakeModule([recorded_run("lab-container/ctr-version-answering"),
                    recorded_run("lab-container/ctr-plugins-debian-config")])
    r = k8s.check_cri(m, "unix://" + SOCK, tree.root)
    assert m.calls == [CTR + ["version"], CTR + ["plugins", "ls"]]
    assert r == dict(name="cri", status="ok", version="1.6.20~ds1", cause=(
        "containerd 1.6.20~ds1 answers on %s and its CRI plugin (io.containerd.grpc.v1.cri) is ok" % SOCK))


def test_cri_without_timeout_binary_runs_ctr_alone(tree):
    tree.unix_socket(SOCK)
    m = FakeModule([recorded_run("lab-container/ctr-version-answering"),
                    recorded_run("lab-container/ctr-plugins-systemdcgroup")], bins=("ctr",))
    assert k8s.check_cri(m, "unix://" + SOCK, tree.root)["status"] == "ok"
    assert m.calls[0] == CTR[2:] + ["version"]


@pytest.mark.parametrize("with_config", [True, False])
def test_cri_plugin_disabled_is_a_problem_naming_disabled_plugins(tree, with_config):
    tree.unix_socket(SOCK)
    config = None
    if with_config:
        tree.etc("/etc/containerd/config.toml", recorded("lab-container/config-cri-disabled.toml"))
        config = k8s.read_containerd_config(tree.root)[0]
    m = FakeModule([recorded_run("lab-container/ctr-version-answering"),
                    recorded_run("lab-container/ctr-plugins-cri-disabled")])
    r = k8s.check_cri(m, "unix://" + SOCK, tree.root, config)
    cause = ("containerd 1.6.20~ds1 answers on %s, but its CRI plugin is not loaded (ctr plugins ls has no "
             "io.containerd.grpc.v1 cri row)" % SOCK)
    if with_config:
        cause += ' (/etc/containerd/config.toml has disabled_plugins = ["cri"], as Docker\'s containerd.io ships it)'
    assert r == dict(name="cri", status="problem", version="1.6.20~ds1", cause=cause)


def test_cri_disabled_by_its_full_name_gives_the_hint(tree):
    tree.unix_socket(SOCK)
    m = FakeModule([recorded_run("lab-container/ctr-version-answering"),
                    recorded_run("lab-container/ctr-plugins-cri-disabled")])
    r = k8s.check_cri(m, "unix://" + SOCK, tree.root, {"disabled_plugins": ["aufs", "io.containerd.grpc.v1.cri"]})
    assert r["cause"].endswith('(/etc/containerd/config.toml has disabled_plugins = ["aufs", '
                               '"io.containerd.grpc.v1.cri"], as Docker\'s containerd.io ships it)')


def test_cri_disabled_plugins_without_cri_gives_no_hint(tree):
    tree.unix_socket(SOCK)
    m = FakeModule([recorded_run("lab-container/ctr-version-answering"),
                    recorded_run("lab-container/ctr-plugins-cri-disabled")])
    # Synthetic configuration: a disabled_plugins list without cri (none recorded).
    r = k8s.check_cri(m, "unix://" + SOCK, tree.root, {"disabled_plugins": ["aufs"]})
    assert r["cause"].endswith("cri row)")


def test_cri_plugin_in_error_is_a_problem(tree, monkeypatch):
    # Synthetic: no recorded CRI plugin failed; CRI_ROW is pointed at the recorded devmapper snapshotter row, whose
    # status is error, so that the parsing of a failed row is tested on a recorded line.
    monkeypatch.setattr(_containerd, "CRI_ROW", ("io.containerd.snapshotter.v1", "devmapper"))
    tree.unix_socket(SOCK)
    m = FakeModule([recorded_run("lab-container/ctr-version-answering"),
                    recorded_run("lab-container/ctr-plugins-debian-config")])
    r = k8s.check_cri(m, "unix://" + SOCK, tree.root)
    assert r["status"] == "problem"
    assert r["cause"] == ("containerd 1.6.20~ds1 answers on %s, but its CRI plugin's status is error (ctr plugins ls)"
                          % SOCK)


@pytest.mark.parametrize("rel", ["lab-container/ctr-version-stopped", "lab-container/ctr-version-no-socket"])
def test_cri_not_answering_is_a_problem_with_ctrs_words(tree, rel):
    # Synthetic pairing: both answers were recorded with no socket at the path; here a socket is present, as when
    # a runtime left a stale one behind.
    tree.unix_socket(SOCK)
    m = FakeModule([recorded_run(rel)])
    r = k8s.check_cri(m, "unix://" + SOCK, tree.root)
    assert len(m.calls) == 1 and r["status"] == "problem" and r["version"] is None
    assert r["cause"] == "containerd does not answer on %s: %s" % (SOCK, recorded(rel + ".stderr").strip())


def test_cri_timeout_is_a_problem(tree):
    # The recorded hang ran under `timeout 3`, not 30: its exit status 124 is timeout's either way.
    tree.unix_socket(SOCK)
    m = FakeModule([recorded_run("lab-container/ctr-version-hang")])
    r = k8s.check_cri(m, "unix://" + SOCK, tree.root)
    assert r == dict(name="cri", status="problem", version=None,
                     cause="containerd on %s did not answer ctr version within 30s" % SOCK)


def test_cri_exit_124_without_timeout_is_not_a_timeout(tree):
    tree.unix_socket(SOCK)
    m = FakeModule([recorded_run("lab-container/ctr-version-hang")], bins=("ctr",))
    r = k8s.check_cri(m, "unix://" + SOCK, tree.root)
    assert r["cause"] == "containerd does not answer on %s: ctr version exited with status 124" % SOCK


def test_cri_plugins_ls_failing_is_unknown(tree):
    # containerd stopped between the two calls: plugins ls fails as the recorded version did.
    tree.unix_socket(SOCK)
    m = FakeModule([recorded_run("lab-container/ctr-version-answering"),
                    recorded_run("lab-container/ctr-version-stopped")])
    r = k8s.check_cri(m, "unix://" + SOCK, tree.root)
    assert r["status"] == "unknown" and r["version"] == "1.6.20~ds1"
    assert r["cause"] == "containerd 1.6.20~ds1 answers on %s, but ctr plugins ls failed: %s" % (
        SOCK, recorded("lab-container/ctr-version-stopped.stderr").strip())


def test_cri_plugins_ls_timing_out_is_unknown(tree):
    # containerd stopped answering between the two calls, as the recorded hung socket did.
    tree.unix_socket(SOCK)
    m = FakeModule([recorded_run("lab-container/ctr-version-answering"),
                    recorded_run("lab-container/ctr-version-hang")])
    r = k8s.check_cri(m, "unix://" + SOCK, tree.root)
    assert r == dict(name="cri", status="unknown", version="1.6.20~ds1", cause=(
        "containerd 1.6.20~ds1 answers on %s, but ctr plugins ls failed: exit status 124" % SOCK))


def test_cri_no_socket_asks_nothing(tree):
    m = FakeModule([])
    r = k8s.check_cri(m, "unix://" + SOCK, tree.root)
    assert r == dict(name="cri", status="problem", version=None,
                     cause="no socket at %s (is containerd running?)" % SOCK)
    assert m.calls == []


def test_cri_socket_without_access_is_unknown_and_asks_nothing(tree, monkeypatch):
    # Synthetic: the tests run as root, for whom os.access is always true; it is made to answer as for a user
    # without write access to the root-owned socket.
    tree.unix_socket(SOCK)
    calls = []

    def access(path, mode):
        calls.append((path, mode))
        return False
    monkeypatch.setattr(k8s.os, "access", access)
    m = FakeModule([])
    assert k8s.check_cri(m, "unix://" + SOCK, tree.root) == dict(
        name="cri", status="unknown", version=None,
        cause="permission denied on %s: cannot ask the runtime without access to its socket (root's); run the module "
              "with become" % SOCK)
    assert m.calls == [] and calls == [(tree.root + SOCK, os.R_OK | os.W_OK)]


def test_cri_access_checks_read_and_write(tree, monkeypatch):
    tree.unix_socket(SOCK)
    monkeypatch.setattr(k8s.os, "access", lambda path, mode: mode == os.R_OK)
    assert k8s.check_cri(FakeModule([]), "unix://" + SOCK, tree.root)["status"] == "unknown"


def test_cri_ctr_permission_denied_is_unknown(tree):
    tree.unix_socket(SOCK)
    rel = "lab-container/ctr-version-nonroot"
    m = FakeModule([recorded_run(rel)])
    r = k8s.check_cri(m, "unix://" + SOCK, tree.root)
    assert r == dict(name="cri", status="unknown", version=None, cause=(
        "permission denied on %s: cannot ask the runtime without access to its socket (root's); run the module "
        "with become (%s)" % (SOCK, recorded(rel + ".stderr").strip())))
    assert len(m.calls) == 1


def test_cri_path_that_is_not_a_socket(tree):
    tree.etc(SOCK, "")
    m = FakeModule([])
    assert k8s.check_cri(m, "unix://" + SOCK, tree.root) == dict(
        name="cri", status="problem", version=None, cause="%s exists but is not a socket" % SOCK)


def test_cri_path_that_cannot_be_stat_is_unknown(tree):
    tree.etc("/run/containerd", "")  # a file where the directory should be: ENOTDIR
    r = k8s.check_cri(FakeModule([]), "unix://" + SOCK, tree.root)
    assert r == dict(name="cri", status="unknown", version=None, cause="cannot stat %s: Not a directory" % SOCK)


def test_cri_without_ctr_is_unknown(tree):
    tree.unix_socket(SOCK)
    m = FakeModule([], bins=("timeout",))
    assert k8s.check_cri(m, "unix://" + SOCK, tree.root) == dict(
        name="cri", status="unknown", version=None, cause="ctr not found: cannot ask the runtime on %s" % SOCK)


def test_parse_ctr_version_needs_the_server_section():
    assert k8s.parse_ctr_version(recorded("lab-container/ctr-version-answering.stdout")) == "1.6.20~ds1"
    assert k8s.parse_ctr_version(recorded("lab-container/ctr-version-no-socket.stdout")) is None
    assert _containerd.cri_status(recorded("lab-container/ctr-plugins-systemdcgroup.stdout")) == "ok"
    assert _containerd.cri_status(recorded("lab-container/ctr-plugins-cri-disabled.stdout")) is None


# binaries -----------------------------------------------------------------------------------------------------------

def test_binaries_found_and_missing():
    # What `command -v` found in the lab container (fixtures' binaries.txt).
    found = dict(line.split() for line in recorded("lab-container/binaries.txt").splitlines())

    class M(object):
        def get_bin_path(self, name):
            return None if found[name] == "MISSING" else found[name]
    r = k8s.check_binaries(M(), ["conntrack", "iptables", "ethtool"])
    assert r == [dict(name="binary conntrack", status="ok", path="/usr/sbin/conntrack",
                      cause="conntrack is /usr/sbin/conntrack"),
                 dict(name="binary iptables", status="problem", path=None,
                      cause="iptables not found in PATH, /sbin, /usr/sbin or /usr/local/sbin"),
                 dict(name="binary ethtool", status="warning", path=None,
                      cause="ethtool not found in PATH, /sbin, /usr/sbin or /usr/local/sbin")]


def test_binaries_kubeadm_does_not_stop_on_are_warnings():
    class M(object):
        def get_bin_path(self, name):
            return None
    names = ["conntrack", "socat", "ethtool", "tc", "touch", "ebtables", "ip6tables", "ip", "iptables", "mount",
             "nsenter", "crictl"]
    r = k8s.check_binaries(M(), names)
    assert [x["status"] for x in r] == ["warning"] * 7 + ["problem"] * 5


# ports --------------------------------------------------------------------------------------------------------------

def test_listeners_from_the_recorded_tables(tree):
    tree.net()
    found, why = k8s.listeners(tree.proc)
    assert why is None
    assert found == {34271: [("127.0.0.1:34271", "8419068")], 6443: [("0.0.0.0:6443", "8419987")],
                     10259: [("127.0.0.1:10259", "8419988")], 10250: [("[::]:10250", "8419084")]}


def test_control_plane_ports_name_their_holders(tree):
    tree.net()
    r = dict((x["name"], x) for x in k8s.check_ports(k8s.PORTS["control_plane"], tree.proc))
    assert sorted(r) == ["port 10250", "port 10257", "port 10259", "port 2379", "port 2380", "port 6443"]
    assert r["port 6443"] == dict(name="port 6443", status="problem",
                                  cause="6443/tcp is in use: socat (pid 546) listens on 0.0.0.0:6443",
                                  holders=[dict(address="0.0.0.0:6443", inode=8419987,
                                                processes=[dict(pid=546, name="socat")])])
    assert r["port 10250"]["cause"] == "10250/tcp is in use: socat (pid 547) listens on [::]:10250"
    # The ESTABLISHED pair on 10259 is not a listener: one holder.
    assert r["port 10259"]["cause"] == "10259/tcp is in use: python3 (pid 548) listens on 127.0.0.1:10259"
    for port in (2379, 2380, 10257):
        assert r["port %d" % port] == dict(name="port %d" % port, status="ok", holders=[], cause=(
            "%d/tcp is free (no listener in %s/net/tcp or tcp6)" % (port, tree.proc)))


def test_worker_checks_the_kubelet_port_only():
    assert k8s.PORTS["worker"] == (10250,)
    assert k8s.PORTS["control_plane"] == (6443, 2379, 2380, 10250, 10257, 10259)


def test_a_listener_shared_by_two_processes_names_both(tree, monkeypatch):
    # Synthetic: no recorded listener was shared; the recorded socket 8412211 was (systemd and dbus-daemon): its
    # owners are lent to the 6443 listener.
    tree.net()
    owners = k8s.socket_owners(tree.proc)
    monkeypatch.setattr(k8s, "socket_owners", lambda proc: {"8419987": owners["8412211"]})
    r = k8s.check_ports([6443], tree.proc)
    assert r[0]["cause"] == "6443/tcp is in use: systemd (pid 1), dbus-daemon (pid 39) listens on 0.0.0.0:6443"


def test_holder_that_cannot_be_seen(tree):
    tree.net(fd_links=False)
    r = k8s.check_ports([6443], tree.proc)
    assert r[0]["cause"] == ("6443/tcp is in use: a process this module cannot see (socket inode 8419987) listens on "
                             "0.0.0.0:6443")
    assert r[0]["holders"] == [dict(address="0.0.0.0:6443", inode=8419987, processes=[])]


def test_no_tcp6_table_is_ipv4_only(tree):
    tree.net(tcp6=False)
    r = k8s.check_ports([10250, 6443], tree.proc)
    assert [x["status"] for x in r] == ["ok", "problem"]


def test_no_tcp_table_is_unknown(tree):
    r = k8s.check_ports([10250], tree.proc)
    assert r == [dict(name="port 10250", status="unknown", holders=[],
                      cause="cannot read %s/net/tcp: No such file or directory" % tree.proc)]


def test_unreadable_tcp6_table_is_unknown(tree):
    tree.net(tcp6=False)
    os.makedirs(os.path.join(tree.proc, "net", "tcp6"))
    r = k8s.check_ports([10250], tree.proc)
    assert r[0]["status"] == "unknown" and r[0]["cause"] == "cannot read %s/net/tcp6: Is a directory" % tree.proc


def test_socket_owners_skip_what_cannot_be_read(tree):
    tree.net()
    shutil.rmtree(os.path.join(tree.proc, "545", "fd"))  # systemd-timedated gone between the listing and the read
    os.remove(os.path.join(tree.proc, "548", "comm"))
    owners = k8s.socket_owners(tree.proc)
    assert owners["8419988"] == [(548, "?")]
    assert "8419979" not in owners  # 545's socket
    assert owners["8419068"] == [(534, "containerd")]
    assert owners["8411919"] == [(39, "dbus-daemon")]  # its fds 1 and 2: one owner
    assert owners["8412211"] == [(1, "systemd"), (39, "dbus-daemon")]  # one socket, two processes
    assert k8s.socket_owners(os.path.join(tree.proc, "nonexistent")) == {}


def test_free_ports_do_not_walk_proc(tree, monkeypatch):
    tree.net()
    monkeypatch.setattr(k8s, "socket_owners", lambda proc: pytest.fail("walked /proc for free ports"))
    assert k8s.check_ports([2379], tree.proc)[0]["status"] == "ok"


# hostname -----------------------------------------------------------------------------------------------------------

def _recorded_resolver():
    """Synthetic resolver stub: the recorded host name, addresses and gaierror (getaddrinfo.txt), in tuples built
    here (getaddrinfo.txt holds the addresses, not the tuples)."""
    lines = dict(line.split(": ", 1) for line in recorded("lab-container/getaddrinfo.txt").splitlines())
    hostname = eval(lines["gethostname"])  # the repr Python printed
    addresses = eval(lines["getaddrinfo"])
    errno_, message = eval(lines["gaierror"].split(") ")[0] + ")")

    def getaddrinfo(host, port):
        if host.lower() != hostname:
            raise socket.gaierror(errno_, message)
        # One tuple per socket type, as getaddrinfo gives them for a host without a service.
        return [(socket.AF_INET, t, p, "", (a, 0)) for a in addresses
                for t, p in ((socket.SOCK_STREAM, 6), (socket.SOCK_DGRAM, 17), (socket.SOCK_RAW, 0))]
    return hostname, getaddrinfo


def test_hostname_resolves():
    hostname, getaddrinfo = _recorded_resolver()
    r = k8s.check_hostname(lambda: hostname, getaddrinfo)
    assert r == dict(name="hostname", status="ok", hostname="k8sfacts-rec", addresses=["172.17.0.3"],
                     cause="the hostname k8sfacts-rec resolves to 172.17.0.3")


def test_hostname_that_does_not_resolve():
    hostname, getaddrinfo = _recorded_resolver()
    r = k8s.check_hostname(lambda: "k8sfacts-unresolvable.invalid", getaddrinfo)
    assert r == dict(name="hostname", status="warning", hostname="k8sfacts-unresolvable.invalid", addresses=[],
                     cause="the hostname k8sfacts-unresolvable.invalid does not resolve (getaddrinfo: [Errno -2] "
                           "Name or service not known)")


@pytest.mark.parametrize("name,ok", [("K8sfacts-Rec", True), ("2node", True), ("node.2", True), ("node_1", False), ("-node", False), ("node-", False),
                                     ("a." * 126 + "b", True), ("a." * 126 + "bc", False), ("", False)])
def test_hostname_must_be_a_node_name(name, ok):
    # Synthetic resolver: any valid name resolves to 10.0.0.1, so that only the name's validity is judged.
    r = k8s.check_hostname(lambda: name, lambda host, port: [(2, 1, 6, "", ("10.0.0.1", 0))])
    assert r["name"] == "hostname" and r["status"] == ("ok" if ok else "problem") and r["hostname"] == name
    if not ok:
        assert r["addresses"] == []
        assert r["cause"] == ("the hostname %r is not a valid node name (lowercase RFC 1123 subdomain: letters, "
                              "digits, '-' and '.'): the API server rejects such a Node" % name)


def test_hostname_defaults_to_the_socket_module(monkeypatch):
    monkeypatch.setattr(socket, "gethostname", lambda: "k8sfacts-rec")
    monkeypatch.setattr(socket, "getaddrinfo", _recorded_resolver()[1])
    assert k8s.check_hostname()["addresses"] == ["172.17.0.3"]


# time ---------------------------------------------------------------------------------------------------------------

TIMEDATECTL = ["/usr/bin/timedatectl", "show", "-p", "NTPSynchronized", "--value"]


@pytest.mark.parametrize("rel,status,cause", [
    ("vm/timedatectl-synced", "ok", "the clock is synchronised (timedatectl: NTPSynchronized=yes)"),
    ("vm/timedatectl-unsynced", "warning", "the clock is not synchronised (timedatectl: NTPSynchronized=no): "
                                           "certificates and etcd need synchronised clocks (systemd-timesyncd, chrony)"),
    ("lab-container/timedatectl-ntpsynchronized", "warning", None),
    ("lab-host/timedatectl-no-systemd", "unknown",
     "timedatectl show -p NTPSynchronized gave no yes or no: System has not been booted with systemd as init system "
     "(PID 1). Can't operate.; Failed to connect to bus: Host is down"),
])
def test_time_sync(rel, status, cause):
    m = FakeModule([recorded_run(rel)], bins=("timedatectl",))
    r = k8s.check_time_sync(m)
    assert m.calls == [TIMEDATECTL]
    assert r["name"] == "time_sync" and r["status"] == status
    if cause:
        assert r["cause"] == cause


def test_time_sync_without_timedatectl():
    m = FakeModule([], bins=())
    assert k8s.check_time_sync(m) == dict(name="time_sync", status="unknown",
                                          cause="timedatectl not found: cannot tell whether the clock is synchronised")
