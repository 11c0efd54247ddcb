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
  - Reports, each with a status (C(ok), C(problem), or C(unknown) when the host cannot tell) and a cause that names
    the file, port or process, what the kubelet or C(kubeadm)'s preflight would reject on this host.
  - C(swap) reads C(/proc/swaps); active swap is a problem (the kubelet's C(failSwapOn)).
  - C(module NAME) reads C(/proc/modules) and C(/sys/module/NAME). A loaded module must also be loaded at boot
    (C(/etc/modules-load.d) and the like, as M(dockerops.host.sysctl_check) reads them); a module with a
    C(/sys/module) entry that C(/proc/modules) does not list is built in. On a kernel without C(/proc/modules) a
    module without a C(/sys/module) entry is C(unknown).
  - C(sysctl NAME) checks C(net.bridge.bridge-nf-call-iptables), C(net.bridge.bridge-nf-call-ip6tables) and
    C(net.ipv4.ip_forward) (and C(net.ipv6.conf.all.forwarding) with O(ipv6)) = C(1), now and at boot, exactly as
    M(dockerops.host.sysctl_check) does; a value right now but lost at reboot is a problem.
  - C(cgroup_version) reads C(/sys/fs/cgroup/cgroup.controllers). cgroup v1 is a problem (the kubelet 1.35 and later
    refuse it unless C(failCgroupV1) is false); on v2 the C(cpu), C(cpuset), C(memory) and C(pids) controllers must
    be there.
  - C(cgroup_driver containerd) reads C(/etc/containerd/config.toml) (with Python's C(tomllib) from Python 3.11, else
    a tolerant reader of tables, strings, booleans, integers and arrays; C(imports) are not followed). The runc options
    of the CRI plugin's default runtime (config C(version) 1, 2 or 3) give C(SystemdCgroup); unset or without a file
    it is C(false), that is C(cgroupfs). It must agree with O(cgroup_driver).
  - C(cgroup_driver docker), only where the C(docker) CLI is installed and O(docker) is true, asks the engine
    (C(docker info), under a 30 s timeout) for its C(CgroupDriver), which should agree too.
  - C(cri) asks containerd on O(cri_socket) with C(ctr --address PATH version), then C(ctr plugins ls) for the CRI
    plugin (C(io.containerd.grpc.v1 cri)) and its status. Docker's C(containerd.io) ships C(disabled_plugins =
    ["cri"]), which the cause then names. Only containerd is asked; another runtime's socket is a problem as soon as
    C(ctr version) gets no answer from it.
  - C(binary NAME) looks each of O(required_binaries) up in C(PATH), C(/sbin), C(/usr/sbin) and C(/usr/local/sbin).
  - C(port N) reads the listening TCP sockets of C(/proc/net/tcp) and C(/proc/net/tcp6) and names the process
    holding one through C(/proc/PID/fd). A held port is a problem, also when the kubelet itself holds it on a node
    already joined; the module is meant to run before C(kubeadm init) or C(join).
  - C(hostname) checks that the host name, lowercased as the kubelet does, is a valid node name and resolves
    (C(getaddrinfo)).
  - C(time_sync) asks C(timedatectl show -p NTPSynchronized --value); C(unknown) without C(timedatectl) or when it
    fails (no systemd as PID 1).
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
    description: The cgroup driver the kubelet is to use; the runtime's must be the same.
    type: str
    choices: [systemd, cgroupfs]
    default: systemd
  ipv6:
    description: Dual-stack or IPv6 cluster; also check C(net.ipv6.conf.all.forwarding = 1) and the C(ip6tables) binary.
    type: bool
    default: false
  required_binaries:
    description:
      - Commands the kubelet and kube-proxy run, or C(kubeadm) checks for.
      - With O(ipv6), C(ip6tables) is checked too.
    type: list
    elements: str
    default: [conntrack, iptables, ip, mount, nsenter, socat]
  modules:
    description: Kernel modules that must be loaded now and at boot (or built in).
    type: list
    elements: str
    default: [overlay, br_netfilter]
  docker:
    description: Where the C(docker) CLI is installed, ask the engine for its cgroup driver.
    type: bool
    default: true
  fail_on_problem:
    description:
      - Fail, naming each check with the status C(problem) and its cause. Checks that are C(unknown) do not fail.
    type: bool
    default: false
notes:
  - Statuses are C(ok), C(problem) (the kubelet or kubeadm would reject it) and C(unknown) (a file, command or answer
    is missing, so the host cannot tell).
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

- name: Show what would stop the kubelet
  ansible.builtin.debug:
    msg: "{{ node.problems }}"
"""

RETURN = r"""
checks:
  description:
    - One entry per check, in the order of the description. Besides C(name), C(status) and C(cause), some carry
      details; C(sysctl *) the C(value), C(boot_value), C(boot_source) and C(sysctl_status) of
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
  description: "C(NAME: cause) of each check with the status C(problem)."
  returned: always
  type: list
  elements: str
  sample: ["port 10250: 10250/tcp is in use: socat (pid 547) listens on [::]:10250"]
unknown:
  description: "C(NAME: cause) of each check with the status C(unknown)."
  returned: always
  type: list
  elements: str
  sample: ["time_sync: timedatectl not found: cannot tell whether the clock is synchronised"]
ready:
  description: Whether no check is a problem.
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
IPV6_SYSCTLS = {"net.ipv6.conf.all.forwarding": "1"}


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
    if p["docker"] and module.get_bin_path("docker"):
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
            docker=dict(type="bool", default=True),
            fail_on_problem=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    p = module.params
    if not p["cri_socket"].startswith("unix:///"):
        module.fail_json(msg="cri_socket must be a unix:/// socket path, got %r" % p["cri_socket"])
    checks = run_checks(module, p)
    problems = ["%s: %s" % (c["name"], c["cause"]) for c in checks if c["status"] == _k8s_node.PROBLEM]
    unknown = ["%s: %s" % (c["name"], c["cause"]) for c in checks if c["status"] == _k8s_node.UNKNOWN]
    version = [c for c in checks if c["name"] == "cgroup_version"][0]["version"]
    out = dict(changed=False, checks=checks, problems=problems, unknown=unknown, ready=not problems,
               cgroup_version=version)
    if p["fail_on_problem"] and problems:
        module.fail_json(msg="The host is not ready for the kubelet: " + "; ".join(problems), **out)
    module.exit_json(**out)


if __name__ == "__main__":
    main()
