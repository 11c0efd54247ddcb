# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Live and boot-time kernel parameters, and kernel modules.

Pure functions over a root of paths, so the unit tests run them against a
fake /proc/sys and sysctl.d tree.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import re

# systemd-sysctl's search path: a file name in an earlier directory masks the
# same name in later ones; the files are then applied in lexical order of
# their names. procps' `sysctl --system` then applies /etc/sysctl.conf last.
SYSCTL_DIRS = ("/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d", "/lib/sysctl.d")
SYSCTL_CONF = "/etc/sysctl.conf"
MODULES_LOAD_DIRS = ("/etc/modules-load.d", "/run/modules-load.d", "/usr/local/lib/modules-load.d",
                     "/usr/lib/modules-load.d", "/lib/modules-load.d")
ETC_MODULES = "/etc/modules"

NAME_RE = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_:@+-]+)+$")

# Parameters that exist only once a module is loaded: the likely cause of
# a `missing` status.
PROVIDED_BY = (
    ("net.bridge.", "br_netfilter"),
    ("net.netfilter.", "nf_conntrack"),
    ("net.ipv4.vs.", "ip_vs"),
)


class SysctlError(Exception):
    pass


def check_name(name):
    if not isinstance(name, str) or not NAME_RE.match(name) or ".." in name:
        raise SysctlError("%r is not a kernel parameter name (expected dotted words such as "
                          "net.bridge.bridge-nf-call-iptables)" % (name,))
    return name


def normalize(value):
    """Kernel values compare by whitespace-separated words: '1', ' 1\\n', '4096\\t87380' -> '4096 87380'."""
    if isinstance(value, bool):
        value = int(value)
    return " ".join(str(value).split())


def is_numeric(value):
    words = normalize(value).split(" ")
    return all(re.match(r"^-?[0-9]+$", w) for w in words) and words != [""]


def read_text(path):
    try:
        with open(path) as f:
            return f.read()
    except (IOError, OSError) as e:
        if e.errno == errno.ENOENT:
            return None
        raise SysctlError("cannot read %s: %s" % (path, os.strerror(e.errno) if e.errno else e))


def live_value(name, proc_sys="/proc/sys"):
    """The kernel's value now, or None when the parameter does not exist."""
    path = os.path.join(proc_sys, *name.split("."))
    if os.path.isdir(path):
        raise SysctlError("%s is a group of parameters (%s is a directory), not one parameter" % (name, path))
    text = read_text(path)
    return None if text is None else normalize(text)


def parse_sysctl_file(text, path):
    """{name: value} from a sysctl.d file, as systemd-sysctl reads it."""
    values = {}
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if "=" not in line:
            # systemd-sysctl ignores such lines with a warning; so do we.
            continue
        key, dummy, value = line.partition("=")
        key = key.strip().lstrip("-")  # '-' only means: ignore errors when applying
        key = key.replace("/", ".") if "/" in key and "." not in key.split("/")[0] else key
        values[key] = (normalize(value), "%s:%d" % (path, lineno))
    return values


def config_files(root, dirs, last=None):
    """Files in application order: masked by name across dirs, sorted by name."""
    chosen = {}
    for d in dirs:
        full = root + d
        try:
            names = sorted(os.listdir(full))
        except (IOError, OSError) as e:
            if e.errno in (errno.ENOENT, errno.ENOTDIR):
                continue
            raise SysctlError("cannot list %s: %s" % (full, os.strerror(e.errno)))
        for n in names:
            if n.endswith(".conf") and n not in chosen:
                chosen[n] = os.path.join(full, n)
    files = [chosen[n] for n in sorted(chosen)]
    if last and os.path.exists(root + last):
        files.append(root + last)
    return files


def boot_values(root=""):
    """{name: (value, 'file:line')} that systemd-sysctl would apply at boot (later wins)."""
    merged = {}
    for path in config_files(root, SYSCTL_DIRS, SYSCTL_CONF):
        text = read_text(path)
        if text is not None:
            merged.update(parse_sysctl_file(text, path[len(root):] if root else path))
    return merged


def loaded_modules(proc_modules="/proc/modules", sys_module="/sys/module"):
    text = read_text(proc_modules)
    loaded = set(line.split()[0] for line in (text or "").splitlines() if line.strip())
    # Built-in modules are not in /proc/modules but have /sys/module/<name>/parameters or version.
    try:
        for name in os.listdir(sys_module):
            if os.path.exists(os.path.join(sys_module, name, "parameters")) or \
                    os.path.exists(os.path.join(sys_module, name, "initstate")):
                loaded.add(name)
    except (IOError, OSError):
        pass
    return loaded


def modules_loaded_at_boot(root=""):
    names = set()
    paths = config_files(root, MODULES_LOAD_DIRS, ETC_MODULES)
    for path in paths:
        for line in (read_text(path) or "").splitlines():
            line = line.split("#", 1)[0].split(";", 1)[0].strip()
            if line:
                names.add(line.split()[0].replace("-", "_"))
    return names


def likely_cause(name, modules_loaded):
    for prefix, module in PROVIDED_BY:
        if name.startswith(prefix):
            if module in modules_loaded:
                return "%s is loaded but the kernel has no %s" % (module, name)
            return "%s* exists only once the %s module is loaded, and it is not loaded" % (prefix, module)
    return "the kernel has no such parameter (unknown name, or a module that provides it is not loaded)"


def check(parameters, modules=(), proc_sys="/proc/sys", root="", proc_modules="/proc/modules",
          sys_module="/sys/module"):
    """Compare wanted parameters and modules with the live kernel and the boot configuration."""
    for name in parameters:
        check_name(name)
    loaded = loaded_modules(proc_modules, sys_module)
    boot_mods = modules_loaded_at_boot(root)
    boot = boot_values(root)
    result = {}
    for name, wanted in sorted(parameters.items()):
        expected = normalize(wanted)
        if expected == "":
            raise SysctlError("no value given for %s" % name)
        actual = live_value(name, proc_sys)
        boot_value, boot_source = boot.get(name, (None, None))
        entry = dict(expected=expected, actual=actual, boot_value=boot_value, boot_source=boot_source)
        if actual is None:
            entry.update(status="missing", cause=likely_cause(name, loaded))
        else:
            if is_numeric(actual) and not is_numeric(expected):
                raise SysctlError("%s takes numbers (the kernel has %r), not %r" % (name, actual, wanted))
            if actual != expected:
                entry.update(status="mismatch", cause="the kernel has %s, %s is wanted" % (actual, expected))
            elif boot_value != expected:
                entry.update(status="not_persisted", cause=(
                    "set now, but lost at reboot: no sysctl.d file sets it" if boot_value is None else
                    "set now, but %s sets %s at boot" % (boot_source, boot_value)))
            else:
                entry.update(status="ok", cause="")
        result[name] = entry
    mods = {}
    for name in modules:
        key = name.replace("-", "_")
        mods[name] = dict(loaded=key in loaded, at_boot=key in boot_mods)
    return result, mods
