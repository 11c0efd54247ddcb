#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: k8s_node_facts
short_description: Preflight a host for the kubelet, read-only
description:
  - Reports, for each check, a status and a cause that names the file, port or process. The statuses are C(ok);
    C(problem), what C(kubeadm)'s preflight stops on with an error or what the kubelet refuses to start with;
    C(warning), what C(kubeadm) only warns about or what neither checks but the Kubernetes documentation (its
    container-runtime prerequisites) asks for; and C(unknown), when the host cannot tell.
  - C(swap) reads C(/proc/swaps); active swap is a problem (the kubelet refuses to start with swap on while its
    C(failSwapOn) is true, the default).
  - C(module NAME) reads C(/proc/modules), C(/sys/module/NAME) and C(/lib/modules/RELEASE/modules.builtin) (RELEASE
    from C(/proc/sys/kernel/osrelease)). A loaded module must also be loaded at boot (C(/etc/modules-load.d) and the
    like, as M(dockerops.host.sysctl_check) reads them); a module that C(modules.builtin) lists, or with a
    C(/sys/module) entry that C(/proc/modules) does not list, is built in. A module neither loaded nor built in, or
    loaded but not at boot, is a warning (C(overlay) and C(br_netfilter) are the container-runtime documentation's,
    not C(kubeadm)'s preflight). Without C(/proc/modules) a module that neither C(/sys/module) nor
    C(modules.builtin) shows is C(unknown).
  - C(sysctl NAME) checks C(net.ipv4.ip_forward), C(net.bridge.bridge-nf-call-iptables) and
    C(net.bridge.bridge-nf-call-ip6tables) (and C(net.ipv6.conf.default.forwarding) with O(ipv6)) = C(1), now and at
    boot, as M(dockerops.host.sysctl_check) does. A wrong value right now of C(net.ipv4.ip_forward) or
    C(net.ipv6.conf.default.forwarding) is a problem (the two files C(kubeadm)'s preflight checks); a wrong value of
    a C(bridge-nf-call) parameter (the container-runtime documentation asks for them, C(kubeadm) does not check
    them), or a right value that is lost at reboot, is a warning. C(net.ipv6.conf.all.forwarding) is not checked.
  - C(cgroup_version) reads C(/sys/fs/cgroup/cgroup.controllers). cgroup v1 is a problem (the kubelet 1.35 and later
    refuse it unless C(failCgroupV1) is false); on v2 the C(cpu), C(cpuset), C(memory) and C(pids) controllers must
    be there.
  - C(cgroup_driver containerd) reads C(/etc/containerd/config.toml) (with Python's C(tomllib) from Python 3.11, else
    a tolerant reader of tables, strings, booleans, integers and arrays; C(imports) are not followed). The runc options
    of the CRI plugin's default runtime (config C(version) 1, 2 or 3) give C(SystemdCgroup); unset or without a file
    it is C(false), that is C(cgroupfs). It should agree with O(cgroup_driver); a disagreement is a warning (neither
    C(kubeadm) nor the kubelet stops on it, the container-runtime documentation asks for one driver).
  - C(cgroup_driver docker) asks the Docker engine (C(docker info), under a 30 s timeout) for its C(CgroupDriver),
    which should agree too (a warning otherwise). The kubelet talks to Docker only through cri-dockerd (dockershim
    was removed in Kubernetes 1.24), so by default this runs only when O(cri_socket) names C(cri-dockerd); see
    O(docker). It needs the C(docker) CLI.
  - C(cri) asks containerd on O(cri_socket) with C(ctr --address PATH version), then C(ctr plugins ls) for the CRI
    plugin (C(io.containerd.grpc.v1 cri)) and its status. Docker's C(containerd.io) ships C(disabled_plugins =
    ["cri"]), which the cause then names. Only containerd is asked; another runtime's socket is a problem as soon as
    C(ctr version) gets no answer from it. Without access to the socket (root's, mode 0660), the check is
    C(unknown) and asks nothing; run the module with C(become).
  - C(binary NAME) looks each of O(required_binaries) up in C(PATH), C(/sbin), C(/usr/sbin) and C(/usr/local/sbin).
    A missing C(conntrack), C(socat), C(ethtool), C(tc), C(touch), C(ebtables) or C(ip6tables) is a warning
    (C(kubeadm)'s preflight warns about the optional ones; it required C(conntrack) only before 1.32); any other
    missing binary (C(ip), C(iptables), C(mount), C(nsenter), or one you name) is a problem.
  - C(port N) reads the listening TCP sockets of C(/proc/net/tcp) and C(/proc/net/tcp6) and names the process
    holding one through C(/proc/PID/fd). A held port is a problem, also when the kubelet itself holds it on a node
    already joined; the module is meant to run before C(kubeadm init) or C(join).
  - C(hostname) checks that the host name, lowercased as the kubelet does, is a valid node name (a problem
    otherwise, since the API server rejects such a Node) and resolves (C(getaddrinfo); a warning otherwise, as in
    C(kubeadm)'s preflight).
  - C(time_sync) asks C(timedatectl show -p NTPSynchronized --value); an unsynchronised clock is a warning (neither
    C(kubeadm) nor the kubelet checks it; certificates and etcd need it); C(unknown) without C(timedatectl) or when
    it fails (no systemd as PID 1).
version_added: 0.1.0
author: dockerops.host maintainers (@dockerops)
extends_documentation_fragment:
  - dockerops.host.read_only
options:
  role:
    description:
      - Which ports must be free.
      - C(control_plane) checks 6443 (API server), 2379 and 2380 (etcd), 10250 (kubelet), 10257
        (controller-manager) and 10259 (scheduler), as C(kubeadm init)'s preflight.
      - C(worker) checks 10250, as C(kubeadm join)'s preflight. The NodePort range 30000-32767 is not checked, since
        kube-proxy does not bind those ports on every node and a process holding one does not stop the kubelet.
    type: str
    choices: [control_plane, worker]
    default: worker
  cri_socket:
    description: The container runtime's socket, as the kubelet's C(containerRuntimeEndpoint). Only C(unix://).
    type: str
    default: unix:///run/containerd/containerd.sock
  cgroup_driver:
    description: The cgroup driver the kubelet is to use; the runtime's should be the same.
    type: str
    choices: [systemd, cgroupfs]
    default: systemd
  ipv6:
    description:
      - Dual-stack or IPv6 cluster; also check C(net.ipv6.conf.default.forwarding = 1) (as C(kubeadm)'s preflight)
        and the C(ip6tables) binary.
    type: bool
    default: false
  required_binaries:
    description:
      - Commands the kubelet and kube-proxy run, or C(kubeadm) checks for. See the description for which of them are
        only a warning when missing.
      - With O(ipv6), C(ip6tables) is checked too.
    type: list
    elements: str
    default: [conntrack, iptables, ip, mount, nsenter, socat]
  modules:
    description: Kernel modules that should be loaded now and at boot (or built in); a missing one is a warning.
    type: list
    elements: str
    default: [overlay, br_netfilter]
  docker:
    description:
      - Whether to ask the Docker engine for its cgroup driver (where the C(docker) CLI is installed).
      - Unset, only when O(cri_socket) contains C(cri-dockerd), that is when the kubelet runs containers through
        Docker; C(true) asks anyway, C(false) never.
    type: bool
  fail_on_cgroup_v1:
    description:
      - Fail when the host runs on cgroup v1, naming it, whatever O(fail_on_problem) says. The
        C(dockerops.host.k8s_node) role sets it unless its C(k8s_node_allow_cgroup_v1) is true.
    type: bool
    default: false
  fail_on_problem:
    description:
      - Fail, naming each check with the status C(problem) and its cause. Checks that are C(warning) or C(unknown)
        do not fail.
    type: bool
    default: false
notes:
  - Statuses are C(ok), C(problem) (C(kubeadm)'s preflight stops with an error, or the kubelet refuses to start),
    C(warning) (C(kubeadm) only warns, or only the Kubernetes documentation asks for it) and C(unknown) (a file,
    command, answer or permission is missing, so the host cannot tell).
  - Run it with C(become); without root the CRI socket cannot be asked and some of C(/proc/PID/fd) cannot be read.
  - The C(kubeadm) preflight checks named here are those of current C(kubeadm) releases; older ones checked more
    (for example C(bridge-nf-call-iptables) and C(conntrack)).
  - With the kubelet's C(KubeletCgroupDriverFromCRI) feature (beta and on by default since Kubernetes 1.31, as far
    as the Kubernetes documentation says) and a runtime that reports its cgroup driver over the CRI (containerd 2.0
    and later), the kubelet takes the driver from the runtime and its own C(cgroupDriver) is not used; the
    C(cgroup_driver) checks still compare with O(cgroup_driver), since this module does not ask the runtime.
seealso:
  - module: dockerops.host.sysctl_check
"""

EXAMPLES = r"""
- name: Preflight a control plane node
  dockerops.host.k8s_node_facts:
    role: control_plane
    fail_on_problem: true

- name: Report only, for a worker on cgroupfs
  dockerops.host.k8s_node_facts:
    cgroup_driver: cgroupfs
    required_binaries: [conntrack, iptables, socat, ethtool]
  register: node

- name: Show what would stop kubeadm or the kubelet, then what is only advised
  ansible.builtin.debug:
    msg: "{{ node.problems + node.advisories }}"
"""

RETURN = r"""
checks:
  description:
    - One entry per check, in the order of the description, with C(name), C(status) (C(ok), C(problem),
      C(warning) or C(unknown)) and C(cause). Some carry details, namely C(sysctl *) the C(value), C(boot_value), C(boot_source) and C(sysctl_status) of
      M(dockerops.host.sysctl_check), C(cgroup_version) the C(version), C(cgroup_driver *) the C(driver), C(cri)
      containerd's C(version), C(binary *) the C(path), C(port *) the C(holders) (address, socket inode and the
      processes holding it), C(hostname) the C(hostname) and its C(addresses).
  returned: always
  type: list
  elements: dict
  sample:
    - name: swap
      status: ok
      cause: no swap is active (/proc/swaps lists none)
    - name: port 6443
      status: problem
      cause: "6443/tcp is in use: socat (pid 546) listens on 0.0.0.0:6443"
      holders:
        - address: 0.0.0.0:6443
          inode: 8419987
          processes: [{pid: 546, name: socat}]
problems:
  description: "C(NAME: cause) of each check with the status C(problem): what kubeadm's preflight or the kubelet
    stops on."
  returned: always
  type: list
  elements: str
  sample: ["port 10250: 10250/tcp is in use: socat (pid 547) listens on [::]:10250"]
advisories:
  description: "C(NAME: cause) of each check with the status C(warning): what kubeadm only warns about or the
    Kubernetes documentation asks for."
  returned: always
  type: list
  elements: str
  sample: ["time_sync: the clock is not synchronised (timedatectl: NTPSynchronized=no): certificates and etcd need
    synchronised clocks (systemd-timesyncd, chrony)"]
unknown:
  description: "C(NAME: cause) of each check with the status C(unknown)."
  returned: always
  type: list
  elements: str
  sample: ["time_sync: timedatectl not found: cannot tell whether the clock is synchronised"]
ready:
  description: Whether no check is a problem (warnings and unknown checks do not count).
  returned: always
  type: bool
  sample: false
cgroup_version:
  description: The cgroup version, C(1) or C(2); null when unknown.
  returned: always
  type: int
  sample: 2
"""

import socket

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dockerops.host.plugins.module_utils import _docker_engine, _k8s_node

# The host's roots, replaced by trees of recorded outputs in the unit tests.
ROOTS = dict(proc="/proc", sys="/sys", root="")
RESOLVER = (socket.gethostname, socket.getaddrinfo)

SYSCTLS = {
    "net.bridge.bridge-nf-call-iptables": "1",
    "net.bridge.bridge-nf-call-ip6tables": "1",
    "net.ipv4.ip_forward": "1",
}
IPV6_SYSCTLS = {"net.ipv6.conf.default.forwarding": "1"}
# cri-dockerd's socket (unix:///run/cri-dockerd.sock, or /var/run/cri-dockerd.sock) names it.
CRI_DOCKERD = "cri-dockerd"


def ask_docker(p):
    """docker: true or false as set; unset (null), only when the kubelet talks to Docker through cri-dockerd."""
    if p["docker"] is None:
        return CRI_DOCKERD in p["cri_socket"]
    return p["docker"]


def run_checks(module, p):
    proc, sys, root = ROOTS["proc"], ROOTS["sys"], ROOTS["root"]
    checks = [_k8s_node.check_swap(proc)]
    checks += _k8s_node.check_modules(p["modules"], proc, sys, root)
    parameters = dict(SYSCTLS, **(IPV6_SYSCTLS if p["ipv6"] else {}))
    checks += _k8s_node.check_sysctls(parameters, proc, sys, root)
    checks.append(_k8s_node.check_cgroup_version(sys))
    config, config_why = _k8s_node.read_containerd_config(root)
    checks.append(_k8s_node.check_containerd_cgroup_driver(
        p["cgroup_driver"], config, config_why, bool(module.get_bin_path("containerd"))))
    if ask_docker(p) and module.get_bin_path("docker"):
        info, why = _docker_engine.info(module)
        checks.append(_k8s_node.check_docker_cgroup_driver(p["cgroup_driver"], info, why))
    checks.append(_k8s_node.check_cri(module, p["cri_socket"], root, config))
    binaries = list(p["required_binaries"])
    if p["ipv6"] and "ip6tables" not in binaries:
        binaries.append("ip6tables")
    checks += _k8s_node.check_binaries(module, binaries)
    checks += _k8s_node.check_ports(_k8s_node.PORTS[p["role"]], proc)
    checks.append(_k8s_node.check_hostname(*RESOLVER))
    checks.append(_k8s_node.check_time_sync(module))
    return checks


def main():
    module = AnsibleModule(
        argument_spec=dict(
            role=dict(type="str", choices=["control_plane", "worker"], default="worker"),
            cri_socket=dict(type="str", default="unix:///run/containerd/containerd.sock"),
            cgroup_driver=dict(type="str", choices=["systemd", "cgroupfs"], default="systemd"),
            ipv6=dict(type="bool", default=False),
            required_binaries=dict(type="list", elements="str",
                                   default=["conntrack", "iptables", "ip", "mount", "nsenter", "socat"]),
            modules=dict(type="list", elements="str", default=["overlay", "br_netfilter"]),
            docker=dict(type="bool"),
            fail_on_cgroup_v1=dict(type="bool", default=False),
            fail_on_problem=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    p = module.params
    if not p["cri_socket"].startswith("unix:///"):
        module.fail_json(msg="cri_socket must be a unix:/// socket path, got %r" % p["cri_socket"])
    checks = run_checks(module, p)
    problems = ["%s: %s" % (c["name"], c["cause"]) for c in checks if c["status"] == _k8s_node.PROBLEM]
    warnings = ["%s: %s" % (c["name"], c["cause"]) for c in checks if c["status"] == _k8s_node.WARNING]
    unknown = ["%s: %s" % (c["name"], c["cause"]) for c in checks if c["status"] == _k8s_node.UNKNOWN]
    cgroup = [c for c in checks if c["name"] == "cgroup_version"][0]
    version = cgroup["version"]
    out = dict(changed=False, checks=checks, problems=problems, advisories=warnings, unknown=unknown,
               ready=not problems,
               cgroup_version=version)
    refusal = _k8s_node.cgroup_v1_refusal(
        cgroup, "fail_on_cgroup_v1: false (for the k8s_node role: k8s_node_allow_cgroup_v1: true)")
    if p["fail_on_cgroup_v1"] and refusal:
        module.fail_json(msg=refusal, **out)
    if p["fail_on_problem"] and problems:
        module.fail_json(msg="The host is not ready for the kubelet: " + "; ".join(problems), **out)
    module.exit_json(**out)


if __name__ == "__main__":
    main()
