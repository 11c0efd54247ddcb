#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: sysctl_check
short_description: Check kernel parameters and modules, now and at boot
description:
  - Reads the live values of the given kernel parameters under C(/proc/sys) and the loaded kernel modules, and
    compares them with the wanted ones.
  - Computes the value each parameter will have after a reboot from what C(systemd-sysctl) reads on the host, so
    that a value that is right now but lost at reboot is reported.
  - That is the C(*.conf) files of C(/etc/sysctl.d), C(/run/sysctl.d), C(/usr/local/lib/sysctl.d),
    C(/usr/lib/sysctl.d) and, where C(/usr) is not merged, C(/lib/sysctl.d). A file masks the file of the same name
    in the directories after its own (a link to C(/dev/null) or an empty file masks and sets nothing). The files left
    are applied sorted by file name, whatever their directory; for the same parameter the later name wins. An
    explicit setting wins over a glob pattern (C(net.ipv4.conf.*.rp_filter)), and a C(-name) line keeps globs off
    C(name).
  - C(/etc/sysctl.conf) counts only where a link makes C(systemd-sysctl) read it, such as
    C(/etc/sysctl.d/99-sysctl.conf -> ../sysctl.conf) (Debian 12, Ubuntu) or C(/usr/lib/sysctl.d/99-sysctl.conf); it
    is then applied under the link's name. Debian 13 has no such link, so a value only in C(/etc/sysctl.conf) is
    C(not_persisted), and its cause names the line.
  - Reports the warnings C(docker info) gives about these parameters when an engine answers.
  - Read-only.
version_added: 0.1.0
author: dockerops.host maintainers (@dockerops)
extends_documentation_fragment:
  - dockerops.host.read_only
options:
  parameters:
    description:
      - Wanted kernel parameters, name to value, for example C(net.bridge.bridge-nf-call-iptables=1).
      - Multi-word values (C(4096 87380 6291456)) compare word by word.
    type: dict
    default: {}
  modules:
    description: Kernel modules that should be loaded now and at boot (C(/etc/modules-load.d) and the like).
    type: list
    elements: str
    default: []
  fail_on_mismatch:
    description:
      - Fail, naming each parameter and its cause, unless every parameter is C(ok) and every module is loaded and
        loaded at boot. A parameter that is C(not_persisted) (right now, lost at reboot) fails too.
    type: bool
    default: false
  docker_warnings:
    description: Ask a running engine (C(docker info)) for its warnings about these parameters.
    type: bool
    default: true
notes:
  - Statuses are C(ok) (set now and at boot), C(not_persisted) (set now, not at boot), C(mismatch) (the kernel has
    another value), and C(missing) (the kernel has no such parameter; C(net.bridge.*) exists only once
    C(br_netfilter) is loaded).
seealso:
  - module: ansible.posix.sysctl
  - module: community.general.modprobe
"""

EXAMPLES = r"""
- name: Check what Docker and Kubernetes need from the kernel
  dockerops.host.sysctl_check:
    parameters:
      net.bridge.bridge-nf-call-iptables: 1
      net.bridge.bridge-nf-call-ip6tables: 1
      net.ipv4.ip_forward: 1
    modules: [br_netfilter, overlay]
    fail_on_mismatch: true

- name: Report only
  dockerops.host.sysctl_check:
    parameters:
      net.ipv4.ip_forward: 1
  register: kernel

- name: Show parameters that are not right
  ansible.builtin.debug:
    msg: "{{ kernel.failed_parameters }}"
"""

RETURN = r"""
parameters:
  description:
    - One entry per wanted parameter.
    - C(boot_value) is the value C(systemd-sysctl) sets at boot (null when nothing sets it) and C(boot_source) the
      file and line that set it, the file a link points to when it was read through one (C(/etc/sysctl.conf:3)).
  returned: always
  type: dict
  sample:
    net.bridge.bridge-nf-call-iptables:
      expected: "1"
      actual: "1"
      boot_value: "1"
      boot_source: /etc/sysctl.d/90-dockerops.conf:3
      status: ok
      cause: ""
modules:
  description: One entry per wanted module, whether it is loaded now and listed for loading at boot.
  returned: always
  type: dict
  sample:
    br_netfilter:
      loaded: true
      at_boot: true
failed_parameters:
  description: Names of the parameters whose status is not C(ok).
  returned: always
  type: list
  elements: str
  sample: [net.ipv4.ip_forward]
missing:
  description:
    - The parameters the running kernel does not have (status C(missing)), each as its name and its cause joined by
      a colon, by name; empty when it has them all.
  returned: always
  type: list
  elements: str
  sample:
    - "net.bridge.bridge-nf-call-iptables: net.bridge.* exists only once the br_netfilter module is loaded, and it
      is not loaded"
failed_modules:
  description: Names of the modules not loaded now or not loaded at boot.
  returned: always
  type: list
  elements: str
  sample: []
docker_warnings:
  description: Warnings of C(docker info) that concern these parameters; empty when no engine answers.
  returned: always
  type: list
  elements: str
  sample: ["WARNING: bridge-nf-call-iptables is disabled"]
engine_answered:
  description: Whether a Docker engine answered C(docker info).
  returned: always
  type: bool
  sample: true
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dockerops.host.plugins.module_utils import _docker_engine, _sysctl as sysctl

# docker info's words for the kernel settings it depends on.
DOCKER_WARNING_WORDS = ("bridge-nf-call", "IPv4 forwarding", "ip_forward")


def docker_info_warnings(module):
    """(engine answered, its docker info warnings about the kernel settings docker depends on)."""
    info = _docker_engine.info(module)[0]
    if info is None:
        return False, []
    return True, [w for w in info.get("Warnings") or [] if any(word in w for word in DOCKER_WARNING_WORDS)]


def main():
    module = AnsibleModule(
        argument_spec=dict(
            parameters=dict(type="dict", default={}),
            modules=dict(type="list", elements="str", default=[]),
            fail_on_mismatch=dict(type="bool", default=False),
            docker_warnings=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    params = module.params["parameters"]
    for name, value in params.items():
        if value is None or isinstance(value, (dict, list)):
            module.fail_json(msg="parameters: %s needs a single value, got %r" % (name, value))
    try:
        results, modules = sysctl.check(params, module.params["modules"])
    except sysctl.SysctlError as e:
        module.fail_json(msg=str(e))

    answered, warnings = (False, [])
    if module.params["docker_warnings"]:
        answered, warnings = docker_info_warnings(module)

    failed = [n for n, r in sorted(results.items()) if r["status"] != "ok"]
    failed_modules = [n for n, m in modules.items() if not (m["loaded"] and m["at_boot"])]
    out = dict(changed=False, parameters=results, modules=modules, failed_parameters=failed,
               missing=sysctl.missing(results),
               failed_modules=failed_modules, docker_warnings=warnings, engine_answered=answered)
    if module.params["fail_on_mismatch"] and (failed or failed_modules):
        lines = ["%s: %s (%s)" % (n, results[n]["status"], results[n]["cause"]) for n in failed]
        lines += ["module %s: %s" % (n, "not loaded" if not modules[n]["loaded"] else "not loaded at boot")
                  for n in failed_modules]
        module.fail_json(msg="The kernel does not have what was asked: " + "; ".join(lines), **out)
    module.exit_json(**out)


if __name__ == "__main__":
    main()
