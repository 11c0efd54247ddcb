# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Private: the checks of k8s_node_facts, what the kubelet (and kubeadm's preflight) would reject on a host.

Each check returns dict(name, status, cause) with status ok, problem (kubeadm's preflight stops with an error, or
the kubelet refuses to start), warning (kubeadm only warns, or neither checks it but the Kubernetes documentation
asks for it) or unknown (the host cannot tell). The file
readers take their roots (proc, sys, root for /etc, /lib/modules and sockets) so that the unit tests run them on
trees built from recorded outputs and a few listed synthetic inputs (tests/unit/fixtures/k8s_node/README.md).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import re
import socket
import stat

from ansible_collections.dockerops.host.plugins.module_utils import _containerd, _sysctl as sysctl
from ansible_collections.dockerops.host.plugins.module_utils._docker_engine import TIMED_OUT, one_line

try:
    import tomllib  # Python >= 3.11
except ImportError:  # pragma: no cover - depends on the target's Python
    tomllib = None

OK, PROBLEM, WARNING, UNKNOWN = "ok", "problem", "warning", "unknown"
# Binaries kubeadm's preflight does not stop on (socat, ethtool, tc: warnings; conntrack: an error only before
# kubeadm 1.32) or that only some setups need (ip6tables for IPv6 with kube-proxy's iptables modes).
OPTIONAL_BINARIES = ("conntrack", "socat", "ethtool", "tc", "touch", "ebtables", "ip6tables")
# Kernel parameters kubeadm's preflight checks (an error when not 1); the others are the container-runtime
# documentation's (net.bridge.bridge-nf-call-*), a warning.
KUBEADM_SYSCTLS = ("net.ipv4.ip_forward", "net.ipv6.conf.default.forwarding")
MODULES_BUILTIN = "/lib/modules/%s/modules.builtin"

# kubeadm's preflight ports: the API server, etcd, the kubelet, controller-manager and scheduler.
PORTS = {
    "control_plane": (6443, 2379, 2380, 10250, 10257, 10259),
    "worker": (10250,),
}
# kubeadm's SystemVerification wants these controllers on cgroup v2.
CGROUP_V2_CONTROLLERS = ("cpu", "cpuset", "memory", "pids")
CONTAINERD_CONFIG = "/etc/containerd/config.toml"
# Where the CRI plugin's runc options live, by config version (1: containerd 1.x's old layout, 2: 1.x, 3: 2.x).
CRI_PLUGIN = {1: "cri", 2: "io.containerd.grpc.v1.cri", 3: "io.containerd.cri.v1.runtime"}
TCP_LISTEN = "0A"
# RFC 1123 subdomain, which a node name must be (the kubelet lowercases the hostname).
NODE_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def entry(name, status, cause, **extra):
    extra.update(name=name, status=status, cause=cause)
    return extra


def read(path):
    """(text, None), or (None, why) naming the path."""
    try:
        with open(path) as f:
            return f.read(), None
    except (IOError, OSError) as e:
        return None, "cannot read %s: %s" % (path, os.strerror(e.errno) if e.errno else e)


# Swap ---------------------------------------------------------------------------------------------------------------

def check_swap(proc="/proc"):
    path = proc + "/swaps"
    text, why = read(path)
    if text is None:
        return entry("swap", UNKNOWN, why)
    active = []
    for line in text.splitlines()[1:]:
        fields = line.split()
        if fields:
            active.append("%s (%s, %s KiB)" % (fields[0], fields[1], fields[2]))
    if not active:
        return entry("swap", OK, "no swap is active (%s lists none)" % path)
    return entry("swap", PROBLEM, "swap is active (%s): %s; the kubelet refuses to start with swap on unless "
                 "failSwapOn is false" % (path, ", ".join(active)))


# Kernel modules -----------------------------------------------------------------------------------------------------

def builtin_modules(root, release):
    """(set of the module names /lib/modules/RELEASE/modules.builtin lists, path), or (None, path) without it."""
    path = MODULES_BUILTIN % release
    text, dummy = read(root + path)
    if text is None:
        return None, path
    names = set()
    for line in text.splitlines():
        base = line.strip().rsplit("/", 1)[-1]
        if base.endswith(".ko"):
            names.add(base[:-3].replace("-", "_"))
    return names, path


def kernel_release(proc="/proc"):
    """The running kernel's release, from PROC/sys/kernel/osrelease, else uname."""
    text, dummy = read(proc + "/sys/kernel/osrelease")
    return text.strip() if text and text.strip() else os.uname()[2]


def check_modules(names, proc="/proc", sys="/sys", root=""):
    """Modules are the container-runtime documentation's (overlay, br_netfilter), not kubeadm's preflight: a module
    that is missing, or loaded but lost at reboot, is a warning."""
    path = proc + "/modules"
    text, why = read(path)
    loaded = None if text is None else set(line.split()[0] for line in text.splitlines() if line.strip())
    at_boot, boot_why = None, None
    try:
        at_boot = sysctl.modules_loaded_at_boot(root)
    except sysctl.SysctlError as e:
        boot_why = str(e)
    builtin, builtin_path = builtin_modules(root, kernel_release(proc))
    results = []
    for name in names:
        key = name.replace("-", "_")
        check = "module " + name
        sys_dir = "%s/module/%s" % (sys, key)
        if loaded is not None and key in loaded:
            if at_boot is None:
                results.append(entry(check, UNKNOWN, "loaded (%s), but whether it is loaded at boot is unknown: %s"
                                     % (path, boot_why)))
            elif key in at_boot:
                results.append(entry(check, OK, "loaded (%s) and loaded at boot (modules-load.d)" % path))
            else:
                results.append(entry(check, WARNING, "loaded now (%s), but lost at reboot: no file of "
                                     "/etc/modules-load.d (or /etc/modules) loads it" % path))
        elif builtin is not None and key in builtin:
            results.append(entry(check, OK, "built into the kernel (%s lists it)" % builtin_path))
        elif os.path.isdir(sys_dir):
            results.append(entry(check, OK, "built into the kernel (%s exists, %s does not list it)"
                                 % (sys_dir, path)))
        elif loaded is None:
            results.append(entry(check, UNKNOWN, "%s (no loadable modules?), %s does not exist and %s does not "
                                 "list it: built in without parameters, or absent" % (
                                     why, sys_dir, builtin_path if builtin is not None else
                                     builtin_path + " (unreadable)")))
        else:
            results.append(entry(check, WARNING, "not loaded: %s does not list it, %s does not exist%s" % (
                path, sys_dir, "" if builtin is None else " and %s does not list it" % builtin_path)))
    return results


# Kernel parameters --------------------------------------------------------------------------------------------------

def check_sysctls(parameters, proc="/proc", sys="/sys", root=""):
    """Through module_utils.sysctl: ok only when right now and at boot (sysctl_check's ok). A wrong value now of
    one of KUBEADM_SYSCTLS is a problem (kubeadm's preflight checks its /proc/sys file); a parameter only lost at
    reboot, or a wrong value of another (net.bridge.bridge-nf-call-*), is a warning."""
    try:
        results = sysctl.check(parameters, (), proc_sys=proc + "/sys", root=root, proc_modules=proc + "/modules",
                               sys_module=sys + "/module")[0]
    except sysctl.SysctlError as e:
        return [entry("sysctl " + name, UNKNOWN, str(e)) for name in sorted(parameters)]
    out = []
    for name, r in sorted(results.items()):
        path = "%s/sys/%s" % (proc, name.replace(".", "/"))
        extra = dict(value=r["actual"], boot_value=r["boot_value"], boot_source=r["boot_source"],
                     sysctl_status=r["status"])
        if r["status"] == "ok":
            out.append(entry("sysctl " + name, OK, "%s is %s, and %s sets it at boot" % (path, r["actual"],
                                                                                         r["boot_source"]), **extra))
        else:
            severity = PROBLEM if name in KUBEADM_SYSCTLS and r["status"] != "not_persisted" else WARNING
            out.append(entry("sysctl " + name, severity, "%s: %s" % (path, r["cause"]), **extra))
    return out


# cgroups ------------------------------------------------------------------------------------------------------------

def cgroup_version(sys="/sys"):
    """(2, controllers), (1, hierarchies) or (None, why)."""
    base = sys + "/fs/cgroup"
    text, dummy = read(base + "/cgroup.controllers")
    if text is not None:
        return 2, text.split()
    try:
        names = sorted(os.listdir(base))
    except (IOError, OSError) as e:
        return None, "cannot list %s: %s" % (base, os.strerror(e.errno) if e.errno else e)
    if not names:
        return None, "%s is empty (cgroups not mounted)" % base
    return 1, names


def check_cgroup_version(sys="/sys"):
    version, detail = cgroup_version(sys)
    path = sys + "/fs/cgroup/cgroup.controllers"
    if version is None:
        return entry("cgroup_version", UNKNOWN, detail, version=None)
    if version == 1:
        return entry("cgroup_version", PROBLEM, "cgroup v1 (%s does not exist; hierarchies: %s): the kubelet 1.35 "
                     "and later refuse to start on cgroup v1 unless failCgroupV1 is false" % (path, " ".join(detail)),
                     version=1)
    missing = [c for c in CGROUP_V2_CONTROLLERS if c not in detail]
    if missing:
        return entry("cgroup_version", PROBLEM, "cgroup v2, but %s lacks %s (the kubelet needs %s)"
                     % (path, ", ".join(missing), ", ".join(CGROUP_V2_CONTROLLERS)), version=2)
    return entry("cgroup_version", OK, "cgroup v2 (%s: %s)" % (path, " ".join(detail)), version=2)


def cgroup_v1_refusal(check, allow_variable="fail_on_cgroup_v1: false"):
    """The refusal message when the cgroup_version check found cgroup v1, else None (v2, or unknown: nothing to
    refuse on what the host cannot tell)."""
    if check.get("version") != 1:
        return None
    # The cause already reads "cgroup v1 (evidence): the kubelet 1.35 and later refuse ...": said once, not wrapped.
    return ("The host runs on %s (1.31 and later deprecate it). Nothing was changed. Boot the host on cgroup v2 "
            "(systemd.unified_cgroup_hierarchy=1 on the kernel command line), or set %s to accept v1."
            % (check["cause"], allow_variable))


# containerd's configuration -----------------------------------------------------------------------------------------

def _split_key(text):
    """TOML dotted key -> list of parts ('plugins."io.containerd.grpc.v1.cri".cni' -> 3 parts), quotes removed."""
    parts, cur, quote = [], "", None
    for c in text.strip():
        if quote:
            if c == quote:
                quote = None
            else:
                cur += c
        elif c in "\"'":
            quote = c
        elif c == ".":
            parts.append(cur.strip())
            cur = ""
        else:
            cur += c
    parts.append(cur.strip())
    return parts


def _value(text):
    text = text.strip()
    if text in ("true", "false"):
        return text == "true"
    if re.match(r"^[+-]?[0-9]+$", text):
        return int(text)
    if re.match(r"^[+-]?[0-9]+\.[0-9]+$", text):
        return float(text)
    if text[:1] in "\"'" and text[-1:] == text[:1] and len(text) >= 2:
        return text[1:-1]
    if text.startswith("[") and text.endswith("]"):
        return [_value(v) for v in re.findall(r"\"[^\"]*\"|'[^']*'|[^,\s\[\]]+", text[1:-1])]
    return text


def _strip_comment(line):
    quote = None
    for i, c in enumerate(line):
        if quote:
            if c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif c == "#":
            return line[:i]
    return line


def parse_toml_tolerant(text):
    """The tables, strings, booleans, integers, decimals and one-line (or bracket-balanced) arrays of a TOML file,
    which is what containerd's config.toml holds; anything else is kept as its raw text. For Pythons before 3.11."""
    data = {}
    table = data
    pending = ""
    for raw in text.splitlines():
        line = _strip_comment(raw).strip()
        if pending:
            line, pending = pending + " " + line, ""
        if not line:
            continue
        if line.startswith("[") and line.endswith("]") and "=" not in line:
            table = data
            for part in _split_key(line.strip("[]")):
                table = table.setdefault(part, {})
            continue
        if "=" not in line:
            continue
        key, dummy, value = line.partition("=")
        if value.strip().startswith("[") and value.count("[") > value.count("]"):
            pending = line
            continue
        parts = _split_key(key)
        target = table
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = _value(value)
    return data


def read_containerd_config(root=""):
    """(config dict or None when there is no file, None) or (None, why) when it cannot be read or parsed."""
    path = root + CONTAINERD_CONFIG
    if not os.path.exists(path):
        return None, None
    text, why = read(path)
    if text is None:
        return None, why
    if tomllib is not None:
        try:
            return tomllib.loads(text), None
        except tomllib.TOMLDecodeError as e:
            return None, "cannot parse %s: %s" % (CONTAINERD_CONFIG, e)
    return parse_toml_tolerant(text), None


def containerd_systemd_cgroup(config):
    """(SystemdCgroup value or None when not set, 'runtime name', 'where it was looked for')."""
    version = config.get("version", 1)
    plugin = CRI_PLUGIN.get(version, CRI_PLUGIN[2])
    runtime = _containerd.lookup(config, ("plugins", plugin, "containerd", "default_runtime_name")) or "runc"
    where = 'plugins."%s".containerd.runtimes.%s.options' % (plugin, runtime)
    value = _containerd.lookup(config, ("plugins", plugin, "containerd", "runtimes", runtime, "options",
                                        "SystemdCgroup"))
    return value, runtime, where


def check_containerd_cgroup_driver(expected, config, config_why, containerd_installed):
    name = "cgroup_driver containerd"
    if config_why:
        return entry(name, UNKNOWN, config_why, driver=None)
    if config is None:
        if not containerd_installed:
            return entry(name, UNKNOWN, "no %s and no containerd binary: containerd does not seem to be installed"
                         % CONTAINERD_CONFIG, driver=None)
        driver = "cgroupfs"
        cause = "no %s: containerd's built-in default leaves runc's SystemdCgroup false (cgroupfs)" % CONTAINERD_CONFIG
    else:
        value, runtime, where = containerd_systemd_cgroup(config)
        driver = "systemd" if value is True else "cgroupfs"
        cause = "%s sets SystemdCgroup = %s under %s (%s)" % (
            CONTAINERD_CONFIG, str(value).lower(), where, driver) if value is not None else (
            "%s does not set SystemdCgroup under %s: the default is false (cgroupfs)" % (CONTAINERD_CONFIG, where))
    if driver == expected:
        return entry(name, OK, cause + ", as the kubelet's %s" % expected, driver=driver)
    return entry(name, WARNING, cause + ", but the kubelet is to use %s" % expected, driver=driver)


def check_docker_cgroup_driver(expected, info, why):
    name = "cgroup_driver docker"
    if info is None:
        return entry(name, UNKNOWN, "the Docker engine did not answer docker info: %s" % why, driver=None)
    driver = info.get("CgroupDriver")
    if driver == expected:
        return entry(name, OK, "the Docker engine uses %s (docker info), as the kubelet" % driver, driver=driver)
    return entry(name, WARNING, "the Docker engine uses %s (docker info), the kubelet is to use %s: two cgroup "
                 "managers on one host" % (driver, expected), driver=driver)


# The CRI socket -----------------------------------------------------------------------------------------------------

def parse_ctr_version(out):
    """containerd's version from the Server: section of `ctr version`, None without one."""
    server = (out or "").split("Server:", 1)
    if len(server) < 2:
        return None
    m = re.search(r"^\s*Version:\s*(\S+)", server[1], re.M)
    return m.group(1) if m else None


NO_ACCESS = ("permission denied on %s: cannot ask the runtime without access to its socket (root's); run the module "
             "with become")


def check_cri(module, socket_uri, root="", config=None):
    """Ask containerd over its socket with ctr: does it answer, and is its CRI plugin loaded and ok."""
    name = "cri"
    path = socket_uri[len("unix://"):]
    try:
        st = os.stat(root + path)
    except (IOError, OSError) as e:
        if e.errno == errno.ENOENT:
            return entry(name, PROBLEM, "no socket at %s (is containerd running?)" % path, version=None)
        return entry(name, UNKNOWN, "cannot stat %s: %s" % (path, os.strerror(e.errno)), version=None)
    if not stat.S_ISSOCK(st.st_mode):
        return entry(name, PROBLEM, "%s exists but is not a socket" % path, version=None)
    if not os.access(root + path, os.R_OK | os.W_OK):
        return entry(name, UNKNOWN, NO_ACCESS % path, version=None)
    ctr = module.get_bin_path("ctr")
    if not ctr:
        return entry(name, UNKNOWN, "ctr not found: cannot ask the runtime on %s" % path, version=None)
    argv = [ctr, "--address", path, "--connect-timeout", "5s"]
    wrapper = module.get_bin_path("timeout")
    if wrapper:
        argv = [wrapper, "30"] + argv
    rc, out, err = module.run_command(argv + ["version"], environ_update={"LANG": "C"})
    if wrapper and rc == TIMED_OUT:
        return entry(name, PROBLEM, "containerd on %s did not answer ctr version within 30s" % path, version=None)
    version = parse_ctr_version(out)
    if version is None:  # no Server: section, whatever the exit status
        if "permission denied" in (err or "").lower():
            return entry(name, UNKNOWN, NO_ACCESS % path + " (%s)" % one_line(err), version=None)
        return entry(name, PROBLEM, "containerd does not answer on %s: %s" % (
            path, one_line(err) or "ctr version exited with status %d" % rc), version=None)
    rc, out, err = module.run_command(argv + ["plugins", "ls"], environ_update={"LANG": "C"})
    if rc != 0:
        return entry(name, UNKNOWN, "containerd %s answers on %s, but ctr plugins ls failed: %s" % (
            version, path, one_line(err) or "exit status %d" % rc), version=version)
    status = _containerd.cri_status(out)
    if status == "ok":
        return entry(name, OK, "containerd %s answers on %s and its CRI plugin (io.containerd.grpc.v1.cri) is ok"
                     % (version, path), version=version)
    if status is None:
        disabled = (config or {}).get("disabled_plugins") or []
        hint = (" (%s has disabled_plugins = %s, as Docker's containerd.io ships it)" % (
            CONTAINERD_CONFIG, "[%s]" % ", ".join('"%s"' % d for d in disabled))
            if any(d in ("cri", "io.containerd.grpc.v1.cri") for d in disabled) else "")
        return entry(name, PROBLEM, "containerd %s answers on %s, but its CRI plugin is not loaded (ctr plugins ls "
                     "has no io.containerd.grpc.v1 cri row)%s"
                     % (version, path, hint), version=version)
    return entry(name, PROBLEM, "containerd %s answers on %s, but its CRI plugin's status is %s (ctr plugins ls)"
                 % (version, path, status), version=version)


# Binaries -----------------------------------------------------------------------------------------------------------

def check_binaries(module, names):
    results = []
    for name in names:
        path = module.get_bin_path(name)
        if path:
            results.append(entry("binary " + name, OK, "%s is %s" % (name, path), path=path))
        else:
            severity = WARNING if name in OPTIONAL_BINARIES else PROBLEM
            results.append(entry("binary " + name, severity, "%s not found in PATH, /sbin, /usr/sbin or "
                                 "/usr/local/sbin" % name, path=None))
    return results


# Ports --------------------------------------------------------------------------------------------------------------

def _address(hex_addr):
    raw = bytes(bytearray.fromhex(hex_addr))
    # /proc/net/tcp* print the address as 32-bit words in host (little-endian) order.
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
    if len(words) == 4:
        return socket.inet_ntop(socket.AF_INET, words)
    return "[%s]" % socket.inet_ntop(socket.AF_INET6, words)


def listeners(proc="/proc"):
    """({port: [(address, inode)]} of the TCP sockets in LISTEN state, None) or (None, why). tcp6 may be absent
    (IPv6 off); tcp may not."""
    found = {}
    for fname in ("tcp", "tcp6"):
        path = "%s/net/%s" % (proc, fname)
        text, why = read(path)
        if text is None:
            if fname == "tcp6" and not os.path.exists(path):
                continue
            return None, why
        for line in text.splitlines()[1:]:
            fields = line.split()
            if len(fields) < 10 or fields[3] != TCP_LISTEN:
                continue
            addr, dummy, port = fields[1].rpartition(":")
            found.setdefault(int(port, 16), []).append(("%s:%d" % (_address(addr), int(port, 16)), fields[9]))
    return found, None


def socket_owners(proc="/proc"):
    """{socket inode: [(pid, command name)]} from /proc/<pid>/fd; processes that cannot be read are left out."""
    owners = {}
    try:
        pids = [p for p in os.listdir(proc) if p.isdigit()]
    except (IOError, OSError):
        return owners
    for pid in sorted(pids, key=int):
        fd_dir = "%s/%s/fd" % (proc, pid)
        try:
            fds = os.listdir(fd_dir)
        except (IOError, OSError):
            continue
        comm = (read("%s/%s/comm" % (proc, pid))[0] or "?").strip()
        for fd in fds:
            try:
                target = os.readlink(fd_dir + "/" + fd)
            except (IOError, OSError):
                continue
            m = re.match(r"^socket:\[([0-9]+)\]$", target)
            if m and (int(pid), comm) not in owners.get(m.group(1), []):
                owners.setdefault(m.group(1), []).append((int(pid), comm))
    return owners


def check_ports(ports, proc="/proc"):
    found, why = listeners(proc)
    if found is None:
        return [entry("port %d" % p, UNKNOWN, why, holders=[]) for p in ports]
    owners = socket_owners(proc) if any(p in found for p in ports) else {}
    results = []
    for port in ports:
        if port not in found:
            results.append(entry("port %d" % port, OK, "%d/tcp is free (no listener in %s/net/tcp or tcp6)"
                                 % (port, proc), holders=[]))
            continue
        holders, words = [], []
        for address, inode in found[port]:
            procs = owners.get(inode, [])
            holders.append(dict(address=address, inode=int(inode),
                                processes=[dict(pid=pid, name=comm) for pid, comm in procs]))
            who = ", ".join("%s (pid %d)" % (comm, pid) for pid, comm in procs) or (
                "a process this module cannot see (socket inode %s)" % inode)
            words.append("%s listens on %s" % (who, address))
        results.append(entry("port %d" % port, PROBLEM, "%d/tcp is in use: %s" % (port, "; ".join(words)),
                             holders=holders))
    return results


# Hostname and time --------------------------------------------------------------------------------------------------

def check_hostname(gethostname=None, getaddrinfo=None):
    hostname = (gethostname or socket.gethostname)()
    node = hostname.lower()
    if not NODE_NAME.match(node) or len(node) > 253:
        return entry("hostname", PROBLEM, "the hostname %r is not a valid node name (lowercase RFC 1123 subdomain: "
                     "letters, digits, '-' and '.'): the API server rejects such a Node" % hostname, hostname=hostname, addresses=[])
    try:
        infos = (getaddrinfo or socket.getaddrinfo)(hostname, None)
    except socket.gaierror as e:
        return entry("hostname", WARNING, "the hostname %s does not resolve (getaddrinfo: %s)" % (hostname, e),
                     hostname=hostname, addresses=[])
    addresses = sorted(set(info[4][0] for info in infos))
    return entry("hostname", OK, "the hostname %s resolves to %s" % (hostname, ", ".join(addresses)),
                 hostname=hostname, addresses=addresses)


def check_time_sync(module):
    timedatectl = module.get_bin_path("timedatectl")
    if not timedatectl:
        return entry("time_sync", UNKNOWN, "timedatectl not found: cannot tell whether the clock is synchronised")
    rc, out, err = module.run_command([timedatectl, "show", "-p", "NTPSynchronized", "--value"],
                                      environ_update={"LANG": "C"})
    value = (out or "").strip()
    if value == "yes":
        return entry("time_sync", OK, "the clock is synchronised (timedatectl: NTPSynchronized=yes)")
    if value == "no":
        return entry("time_sync", WARNING, "the clock is not synchronised (timedatectl: NTPSynchronized=no): "
                     "certificates and etcd need synchronised clocks (systemd-timesyncd, chrony)")
    return entry("time_sync", UNKNOWN, "timedatectl show -p NTPSynchronized gave no yes or no: %s" % (
        one_line(err) or "exit status %d" % rc))
