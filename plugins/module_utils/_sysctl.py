# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE: shared by this collection's modules; not a public API, may change without notice.

Live and boot-time kernel parameters, and kernel modules.

Pure functions over a root of paths, so the unit tests run them against a
fake /proc/sys and sysctl.d tree.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import fnmatch
import os
import re
import stat
from collections import OrderedDict

# systemd-sysctl's directories, in their order of precedence (sysctl.d(5)): a
# *.conf name in an earlier directory masks the same name in later ones (a link
# to /dev/null or an empty file masks and sets nothing). The surviving files
# are then applied sorted by file name, whatever their directory; a later file
# overrides an earlier one for the same key. /lib/sysctl.d counts only where it
# is not /usr/lib/sysctl.d (a /usr that is not merged).
# /etc/sysctl.conf is not on this path: systemd-sysctl reads it only through a
# link such as /etc/sysctl.d/99-sysctl.conf -> ../sysctl.conf, which Debian 12
# ships and Debian 13 no longer does.
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


def _swap_separators(key):
    return "".join({"/": ".", ".": "/"}.get(c, c) for c in key)


def sysctl_key(key):
    """A key as systemd-sysctl reads it, in the dotted form of parameter names: when its first separator is a
    slash, slashes and dots swap (net/ipv4/conf/eth0.100/rp_filter -> net.ipv4.conf.eth0/100.rp_filter)."""
    key = key.strip().lstrip("/")
    first = re.search(r"[./]", key)
    return _swap_separators(key) if first and first.group() == "/" else key


def is_glob(key):
    return any(c in key for c in "*?[")


def parse_sysctl_file(text, path):
    """[(key, value, 'file:line')] of a sysctl.d file, as systemd-sysctl reads it. The value is None for a
    `-key` line without `=`, which keeps glob patterns off that key."""
    entries = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if "=" in line:
            key, dummy, value = line.partition("=")
            value = normalize(value)
        elif line[0] == "-":
            key, value = line[1:], None
        else:
            # systemd-sysctl ignores such lines with a warning; so do we.
            continue
        key = key.strip()
        if key.startswith("-"):  # '-' before an assignment only means: ignore errors when applying
            key = key[1:]
        entries.append((sysctl_key(key), value, "%s:%d" % (path, lineno)))
    return entries


def resolve(root, path):
    """The path `path` names once its links are followed as if `root` were / (as systemd does with --root), so
    that an absolute link in a test tree stays in it; None for a link loop."""
    todo = [p for p in path.split("/") if p]
    done = ""
    hops = 0
    while todo:
        part = todo.pop(0)
        if part == ".":
            continue
        if part == "..":
            done = done.rsplit("/", 1)[0]
            continue
        here = done + "/" + part
        if os.path.islink(root + here):
            hops += 1
            if hops > 40:
                return None
            target = os.readlink(root + here)
            todo = [p for p in target.split("/") if p] + todo
            if target.startswith("/"):
                done = ""
            continue
        done = here
    return done or "/"


def config_files(root, dirs):
    """[(path as found, path read)] of the *.conf files systemd reads from `dirs` (systemd's conf_files_list):
    a name found in an earlier directory masks the same name in later ones, a name that is a link to /dev/null
    or an empty file masks and is not read, a dangling link or a directory is ignored (and masks nothing); the
    files come sorted by name, whatever their directory. A directory that is a link to one already listed (/lib
    on a merged /usr) is not read twice. Paths are under `root`, without it."""
    chosen, masked, seen = {}, set(), set()
    for d in dirs:
        real_dir = resolve(root, d)
        if real_dir is None or real_dir in seen:
            continue
        seen.add(real_dir)
        full = root + real_dir
        try:
            names = sorted(os.listdir(full))
        except (IOError, OSError) as e:
            if e.errno in (errno.ENOENT, errno.ENOTDIR):
                continue
            raise SysctlError("cannot list %s: %s" % (full, os.strerror(e.errno)))
        for n in names:
            if not n.endswith(".conf") or n in chosen or n in masked:
                continue
            found = d + "/" + n
            real = resolve(root, found)
            if real is None:  # a link loop, which systemd cannot stat either
                continue
            if real == "/dev/null":
                masked.add(n)
                continue
            try:
                st = os.stat(root + real)
            except (IOError, OSError):  # a dangling link
                continue
            if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) or (stat.S_ISREG(st.st_mode) and st.st_size == 0):
                masked.add(n)
            elif stat.S_ISREG(st.st_mode):
                chosen[n] = (found, real)
    return [chosen[n] for n in sorted(chosen)]


def boot_config(root=""):
    """(options, files read) of systemd-sysctl at boot: options maps each key or glob pattern to (value,
    'file:line') in systemd's order (a new value for a key moves it last; the same value keeps the first
    place and source); files are the (path as found, path read) it reads."""
    options = OrderedDict()
    files = config_files(root, SYSCTL_DIRS)
    for dummy, real in files:
        text = read_text(root + real)
        for key, value, source in parse_sysctl_file(text or "", real):
            if key in options:
                if options[key][0] == value:
                    continue
                del options[key]
            options[key] = (value, source)
    return options, files


def _glob_matches(pattern, name):
    """A glob of systemd-sysctl matches a path under /proc/sys: a wildcard does not cross a separator."""
    pat, words = pattern.split("."), name.split(".")
    return len(pat) == len(words) and all(fnmatch.fnmatchcase(w, p) for w, p in zip(words, pat))


def boot_setting(name, options):
    """(value, 'file:line') systemd-sysctl writes to `name` at boot, or (None, None). An explicit key wins over
    every glob (a `-name` line sets nothing and keeps globs off); else the last glob that matches."""
    if name in options:
        value, source = options[name]
        return (value, source) if value is not None else (None, None)
    found = (None, None)
    for key, (value, source) in options.items():
        if value is not None and is_glob(key) and _glob_matches(key, name):
            found = (value, source)
    return found


def unread_sysctl_conf(name, root, files):
    """'file:line' where /etc/sysctl.conf sets `name` when systemd-sysctl does not read that file, else None."""
    if any(real == SYSCTL_CONF for dummy, real in files):
        return None
    try:
        text = read_text(root + SYSCTL_CONF)
    except SysctlError:  # only a hint: a file systemd-sysctl does not read cannot fail the check
        return None
    found = None
    for key, value, source in parse_sysctl_file(text or "", SYSCTL_CONF):
        if key == name and value is not None:
            found = source
    return found


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
    paths = [root + real for dummy, real in config_files(root, MODULES_LOAD_DIRS)] + [root + ETC_MODULES]
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


def missing(results):
    """The parameters check() found missing from the kernel, as "name: cause", in check()'s order (by name)."""
    return ["%s: %s" % (name, r["cause"]) for name, r in results.items() if r["status"] == "missing"]


def check(parameters, modules=(), proc_sys="/proc/sys", root="", proc_modules="/proc/modules",
          sys_module="/sys/module"):
    """Compare wanted parameters and modules with the live kernel and the boot configuration."""
    for name in parameters:
        check_name(name)
    loaded = loaded_modules(proc_modules, sys_module)
    boot_mods = modules_loaded_at_boot(root)
    options, files = boot_config(root)
    result = {}
    for name, wanted in sorted(parameters.items()):
        expected = normalize(wanted)
        if expected == "":
            raise SysctlError("no value given for %s" % name)
        actual = live_value(name, proc_sys)
        boot_value, boot_source = boot_setting(name, options)
        entry = dict(expected=expected, actual=actual, boot_value=boot_value, boot_source=boot_source)
        if actual is None:
            entry.update(status="missing", cause=likely_cause(name, loaded))
        else:
            if is_numeric(actual) and not is_numeric(expected):
                raise SysctlError("%s takes numbers (the kernel has %r), not %r" % (name, actual, wanted))
            if actual != expected:
                entry.update(status="mismatch", cause="the kernel has %s, %s is wanted" % (actual, expected))
            elif boot_value != expected:
                cause = ("set now, but lost at reboot: no sysctl.d file sets it" if boot_value is None else
                         "set now, but %s sets %s at boot" % (boot_source, boot_value))
                unread = unread_sysctl_conf(name, root, files)
                if unread:
                    cause += (" (%s sets it, but systemd-sysctl does not read %s on this host: no link such as "
                              "/etc/sysctl.d/99-sysctl.conf points to it)" % (unread, SYSCTL_CONF))
                entry.update(status="not_persisted", cause=cause)
            else:
                entry.update(status="ok", cause="")
        result[name] = entry
    mods = {}
    for name in modules:
        key = name.replace("-", "_")
        mods[name] = dict(loaded=key in loaded, at_boot=key in boot_mods)
    return result, mods
