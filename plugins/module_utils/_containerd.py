# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Private: the decisions of containerd_config, without side effects.

Which config.toml layout a host's containerd reads (its version from `containerd --version`, the file's `version`),
the new config.toml text (the user's file with the module's keys merged in by a minimal edit, never rewritten
whole), the hosts.toml of each registry mirror, and what `containerd config dump` must show afterwards.

Layouts (containerd's docs/cri/config.md): containerd 1.x reads config version 2, the CRI plugin
io.containerd.grpc.v1.cri; containerd 2.x reads version 3 (io.containerd.cri.v1.runtime and .images) and converts a
version 2 file itself. A file without `version` is version 1 to containerd: with only top-level keys (Docker's
containerd.io ships `disabled_plugins = ["cri"]` alone) the version line is added; with plugin tables it is refused.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import re

from ansible_collections.dockerops.host.plugins.module_utils._daemon_config import mask_url

try:
    import tomllib  # Python >= 3.11
except ImportError:  # pragma: no cover - depends on the target's Python
    try:
        import tomli as tomllib
    except ImportError:
        tomllib = None

RUNC_V2 = "io.containerd.runc.v2"
# disabled_plugins entries that turn the CRI plugin off (1.x: the short ID or the full one; 2.x: also its parts).
CRI_IDS = ("cri", "io.containerd.grpc.v1.cri", "io.containerd.cri.v1.runtime", "io.containerd.cri.v1.images")
# The CRI plugin's row in `ctr plugins ls` (TYPE, ID), in containerd 1.x and 2.x.
CRI_ROW = ("io.containerd.grpc.v1", "cri")

V2_CRI = ("plugins", "io.containerd.grpc.v1.cri")
V3_RUNTIME = ("plugins", "io.containerd.cri.v1.runtime")
V3_IMAGES = ("plugins", "io.containerd.cri.v1.images")
# Per config version: where each setting lives (table, key).
LAYOUTS = {
    2: dict(runtime_type=(V2_CRI + ("containerd", "runtimes", "runc"), "runtime_type"),
            systemd_cgroup=(V2_CRI + ("containerd", "runtimes", "runc", "options"), "SystemdCgroup"),
            sandbox_image=(V2_CRI, "sandbox_image"),
            config_path=(V2_CRI + ("registry",), "config_path"),
            mirrors=(V2_CRI + ("registry", "mirrors"))),
    3: dict(runtime_type=(V3_RUNTIME + ("containerd", "runtimes", "runc"), "runtime_type"),
            systemd_cgroup=(V3_RUNTIME + ("containerd", "runtimes", "runc", "options"), "SystemdCgroup"),
            sandbox_image=(V3_IMAGES + ("pinned_images",), "sandbox"),
            config_path=(V3_IMAGES + ("registry",), "config_path"),
            mirrors=(V3_IMAGES + ("registry", "mirrors"))),
}

# Used with fullmatch: re.match with $ also accepts a trailing newline ("docker.io\n" would become a directory).
_REGISTRY = re.compile(r"_default|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?")
_MIRROR = re.compile(r"https?://[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)?")
MANAGED = "# Managed by dockerops.host (containerd_config): registry mirrors for %s"


class ContainerdError(ValueError):
    pass


def loads(text, what):
    if tomllib is None:
        raise ContainerdError("reading %s needs Python 3.11's tomllib (or the tomli package) on the host" % what)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ContainerdError("%s is not valid TOML (%s): fix it first. Nothing was changed." % (what, e))


# containerd's own version, not the engine's: another program's line, read only to pick its config schema, so it
# stays here rather than in _docker_engine.version_tuple.
def parse_version(out):
    """containerd's (major, minor) from `containerd --version` (its third field, with or without a leading v)."""
    fields = (out or "").split()
    m = re.match(r"^v?(\d+)\.(\d+)\.", fields[2]) if len(fields) >= 3 else None
    if not m:
        raise ContainerdError("cannot read containerd's version from `containerd --version`: %r" % (out or "").strip())
    return int(m.group(1)), int(m.group(2))


def cri_status(out):
    """The STATUS of the io.containerd.grpc.v1 cri row of `ctr plugins ls`, None when there is no such row. The one
    reader of that row: containerd_config and k8s_node_facts (module_utils._k8s_node) both use it."""
    for line in (out or "").splitlines():
        fields = line.split()
        if len(fields) >= 4 and tuple(fields[:2]) == CRI_ROW:
            return fields[-1]
    return None


def restart_reason(config_changed, cri, cri_rc, cri_err, started_before, path):
    """(restart, message or None): whether containerd must be restarted. A changed file is restarted on. Otherwise
    a CRI plugin that `ctr plugins ls` (exit 0) shows missing or not ok, or a containerd that started before the file
    was written, means the running containerd does not have the file yet. When its status cannot be read at all
    (ctr plugins ls fails: no ctr, or no answer), a restart would not tell more, and since the file is already right
    nothing is restarted: otherwise every run would restart containerd."""
    if config_changed:
        return True, None
    if cri_rc != 0:
        return False, ("containerd not restarted: %s is already right, and its CRI plugin's status could not be read "
                       "(ctr plugins ls: %s)" % (path, " ".join((cri_err or "").split()) or "exit status %d" % cri_rc))
    if cri != "ok":
        return True, "restart: containerd's CRI plugin is %s (ctr plugins ls)" % (cri or "not loaded")
    if started_before:
        return True, "restart: containerd started before %s was last written" % path
    return False, None


def refused(rc, err, path):
    """The refusal when `containerd --config NEW config dump` did not take the new file (exit status not 0): its
    last line of stderr (containerd 2.x logs a line before it), or the exit status."""
    lines = [line.strip() for line in (err or "").splitlines() if line.strip()]
    return ("containerd does not take the new %s (containerd --config NEWFILE config dump exited %d: %s). Nothing "
            "was changed." % (path, rc, lines[-1] if lines else "nothing said"))


def file_version(data, major, path):
    """The config version the file is (or becomes: None when the version line is to be added) -> (version, add)."""
    version = data.get("version")
    if version is None:
        if "plugins" in data:
            raise ContainerdError(
                "%s has plugin tables but no version key: containerd reads it as config version 1, whose layout "
                "this module does not merge into; add version = 2 (and the version 2 plugin names) by hand, or "
                "start from `containerd config default`. Nothing was changed." % path)
        return (2 if major < 2 else 3), True
    if version not in (2, 3):
        raise ContainerdError("%s has version = %s: this module merges into config versions 2 and 3 only. Nothing "
                              "was changed." % (path, json.dumps(version)))
    if version == 3 and major < 2:
        raise ContainerdError("%s has version = 3, which containerd %d.x does not read (it needs containerd 2.0 or "
                              "later). Nothing was changed." % (path, major))
    return version, False


def dotted(table, key):
    return ".".join(table + (key,))


def lookup(data, table):
    """data[table[0]][table[1]]..., None where a part is missing or not a table (k8s_node_facts reads with it too)."""
    for part in table:
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def check_mirrors(mirrors, varname="registry_mirrors"):
    """{registry: [mirror URL, ...]} checked: host[:port] (or _default) to http(s)://host[:port][/path] only."""
    for registry, urls in sorted(mirrors.items()):
        if not isinstance(registry, str) or not _REGISTRY.fullmatch(registry):
            raise ContainerdError("%s: %s is not a registry name (host[:port], or _default)" % (
                varname, json.dumps(mask_url(registry)) if isinstance(registry, str) else repr(registry)))
        if not isinstance(urls, list) or not urls:
            raise ContainerdError("%s[%s]: give a non-empty list of mirror URLs" % (varname, registry))
        for index, url in enumerate(urls):
            if not isinstance(url, str) or not _MIRROR.fullmatch(url):
                # Masked as docker_daemon's mirror check does: a user:password@ never reaches the output.
                raise ContainerdError(
                    "%s[%s][%d]: %s is not a mirror URL (http(s)://host[:port][/path], no user:password@, query or "
                    "fragment)" % (varname, registry, index,
                                   json.dumps(mask_url(url)) if isinstance(url, str) else repr(url)))


def registry_server(registry):
    """The upstream a hosts.toml falls back to (server =), none for _default."""
    if registry == "_default":
        return None
    if registry == "docker.io":
        return "https://registry-1.docker.io"
    return "https://" + registry


def hosts_toml(registry, urls):
    """The hosts.toml for one registry (containerd's docs/hosts.md): each mirror to pull and resolve from."""
    lines = [MANAGED % registry]
    server = registry_server(registry)
    if server:
        lines.append("server = %s" % value(server))
    for url in urls:
        lines += ["", "[host.%s]" % value(url), "  capabilities = %s" % value(["pull", "resolve"])]
    return "\n".join(lines) + "\n"


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def toml_string(s):
    """A TOML basic string: backslash, quote and the control characters (0x00-0x1f, 0x7f) escaped, any other
    character as is (json.dumps would leave DEL raw and write a non-BMP character as a surrogate pair, both invalid
    TOML)."""
    out = []
    for ch in s:
        o = ord(ch)
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif o < 0x20 or o == 0x7f:
            out.append("\\u%04x" % o)
        elif 0xd800 <= o <= 0xdfff:
            raise ContainerdError("cannot write %r as TOML: it holds a lone surrogate, not a character" % (s,))
        else:
            out.append(ch)
    return '"%s"' % "".join(out)


def value(v):
    """A TOML literal for the values this module writes: bool, int, str, list of str."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return toml_string(v)
    if isinstance(v, list):
        return "[%s]" % ", ".join(value(x) for x in v)
    raise ContainerdError("cannot write %r as TOML" % (v,))


# The diff, without credentials ---------------------------------------------------------------------------------

# A key that may hold a credential (registry.configs."<r>".auth: username, password, auth, identitytoken, ...).
_SECRET = re.compile(r"(?i)password|auth|token|secret|username")
_KEY = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\\n]|\\.)*"|'[^'\n]*')"""
_ASSIGN = re.compile(r"""(%s(?:[ \t]*\.[ \t]*%s)*)([ \t]*=[ \t]*)"""
                     r"""("{3}(?:.*?"{3}|.*)|'{3}(?:.*?'{3}|.*)|"(?:[^"\\\n]|\\.)*"|'[^'\n]*'"""
                     r"""|\{[^}\n]*\}?|\[[^\]\n]*\]?|[^\s,}\]#]+)""" % (_KEY, _KEY))


def redact(text):
    """text with the value of each credential-like key (see _SECRET) replaced by "<redacted>", line by line, also
    inside inline tables; the further lines of a multi-line string value are left out."""
    out, closing = [], None
    for line in text.splitlines(True):
        if closing:
            if closing in line:
                closing = None
            continue

        def hide(m):
            nonlocal closing
            if not _SECRET.search(m.group(1)):  # an inline table or array may hold such keys
                inner = m.group(3)
                return m.group(1) + m.group(2) + (_ASSIGN.sub(hide, inner) if inner[:1] in "{[" else inner)
            quotes = m.group(3)[:3]
            if quotes in ('"""', "'''") and (len(m.group(3)) < 6 or not m.group(3).endswith(quotes)):
                closing = quotes  # the value goes on over the next lines
            return m.group(1) + m.group(2) + '"<redacted>"'
        out.append(_ASSIGN.sub(hide, line))
        if closing and not out[-1].endswith("\n") and line.endswith("\n"):
            out[-1] += "\n"
    return "".join(out)


# Minimal text edits ---------------------------------------------------------------------------------------------

_BARE = re.compile(r"[A-Za-z0-9_-]+")


def header_keys(line):
    """The key path of a [table] header line, None for anything else (an [[array]] header is ('[[',))."""
    s = line.strip()
    if s.startswith("[["):
        return ("[[",)
    if not s.startswith("["):
        return None
    i, keys = 1, []
    while True:
        while i < len(s) and s[i] in " \t":
            i += 1
        if i < len(s) and s[i] == '"':
            end = i + 1
            while end < len(s) and s[end] != '"':
                end += 2 if s[end] == "\\" else 1
            keys.append(json.loads(s[i:end + 1]))
            i = end + 1
        elif i < len(s) and s[i] == "'":
            end = s.index("'", i + 1)
            keys.append(s[i + 1:end])
            i = end + 1
        else:
            m = _BARE.match(s, i)
            if not m:
                return None
            keys.append(m.group(0))
            i = m.end()
        while i < len(s) and s[i] in " \t":
            i += 1
        if i < len(s) and s[i] == ".":
            i += 1
            continue
        return tuple(keys) if i < len(s) and s[i] == "]" else None


def statements(lines):
    """[(kind, start, end, info)]: kind 'header' (info: key path) or 'key' (info: the key's first part), lines
    start..end inclusive. A multi-line value ends at the first line where the statement alone parses."""
    out, i = [], 0
    while i < len(lines):
        s = lines[i].strip()
        if not s or s.startswith("#"):
            i += 1
            continue
        keys = header_keys(lines[i])
        if keys is not None:
            out.append(("header", i, i, keys))
            i += 1
            continue
        for j in range(i, len(lines)):
            try:
                parsed = tomllib.loads("\n".join(lines[i:j + 1]))
            except tomllib.TOMLDecodeError:
                continue
            out.append(("key", i, j, next(iter(parsed), None)))
            i = j + 1
            break
        else:
            raise ContainerdError("line %d does not parse" % (i + 1))
    return out


def _section(stmts, table):
    """(header statement index or None, [key statements]) of a table; the top level is table ()."""
    current, found, keys = (), None, []
    if not table:
        found = -1
    for n, (kind, _start, _end, info) in enumerate(stmts):
        if kind == "header":
            current = info
            if info == table:
                found = n
            continue
        if current == table:
            keys.append(n)
    return found, keys


def set_key(lines, table, key, new_value):
    """lines with table.key set to new_value: its statement replaced, or added to the table's section, or a new
    table appended. Returns the new list of lines."""
    stmts = statements(lines)
    found, keys = _section(stmts, table)
    text = "%s = %s" % (key if _BARE.fullmatch(key) else value(key), value(new_value))
    for n in keys:
        kind, start, end, info = stmts[n]
        if info == key:
            indent = lines[start][:len(lines[start]) - len(lines[start].lstrip())]
            return lines[:start] + [indent + text] + lines[end + 1:]
    if found is None:
        header = "[%s]" % ".".join(p if _BARE.fullmatch(p) else value(p) for p in table)
        tail = [""] if lines and lines[-1].strip() else []
        return lines + tail + [header, "  " + text]
    if found == -1 and (key == "version" or not keys):  # version first (as containerd's docs write it)
        at = stmts[0][1] if stmts else len(lines)
        indent = ""
    elif keys:
        last = stmts[keys[-1]]
        at = last[2] + 1
        indent = lines[last[1]][:len(lines[last[1]]) - len(lines[last[1]].lstrip())]
    else:
        at = stmts[found][1] + 1
        header = lines[stmts[found][1]]
        indent = header[:len(header) - len(header.lstrip())] + "  "
    return lines[:at] + [indent + text] + lines[at:]


def _set(data, table, key, v):
    for part in table:
        data = data.setdefault(part, {})
    data[key] = v


def plan(text, major, path, systemd_cgroup=True, sandbox_image="", config_path="/etc/containerd/certs.d"):
    """The new config.toml for this containerd major version -> dict(text, changes, version, layout).

    text is the current file ("" when absent). changes lists "key: before -> after" for each setting changed.
    Raises ContainerdError, naming the file and the key, where the merge is not safe."""
    data = loads(text, path) if text.strip() else {}
    version, add_version = file_version(data, major, path)
    layout = LAYOUTS[version]
    wanted = copy.deepcopy(data)
    lines = text.splitlines()
    changes = []

    def change(table, key, new):
        """Record and make one change; raise naming the key when the edited text does not say what was meant."""
        nonlocal lines
        old = lookup(data, table + (key,))
        if old == new:
            return
        changes.append("%s: %s -> %s" % (dotted(table, key), "unset" if old is None else json.dumps(old),
                                         json.dumps(new)))
        _set(wanted, table, key, new)
        lines = set_key(lines, table, key, new)
        try:
            got = tomllib.loads("\n".join(lines) + "\n")
        except tomllib.TOMLDecodeError:
            got = None
        if got is None or lookup(got, table + (key,)) != new:
            raise ContainerdError(
                "cannot merge %s into %s safely: the file defines that table in a way this module does not edit "
                "(an inline table or dotted keys). Set it by hand to %s, or write the table as a [section] header. "
                "Nothing was changed." % (dotted(table, key), path, json.dumps(new)))

    if add_version:
        change((), "version", version)
    disabled = data.get("disabled_plugins")
    if isinstance(disabled, list) and any(d in CRI_IDS for d in disabled):
        change((), "disabled_plugins", [d for d in disabled if d not in CRI_IDS])
    mirrors = lookup(data, layout["mirrors"])
    if mirrors:
        raise ContainerdError(
            "%s sets %s, which containerd refuses next to config_path (the hosts.toml directory this module "
            "manages): move those mirrors to k8s_node_containerd_registry_mirrors (hosts.toml) and remove the table. "
            "Nothing was changed." % (path, dotted(layout["mirrors"][:-1], layout["mirrors"][-1])))
    table, key = layout["config_path"]
    current = lookup(data, table + (key,))
    if current and config_path not in str(current).split(":"):
        raise ContainerdError(
            "%s sets %s = %s, which does not include %s (where the registry mirrors' hosts.toml files go): add it "
            "(directories are separated by ':') or set k8s_node_containerd_certs_dir to one of them. Nothing was "
            "changed." % (path, dotted(table, key), json.dumps(current), config_path))
    if not current:
        change(table, key, config_path)
    table, key = layout["runtime_type"]
    if lookup(data, table + (key,)) is None:
        # Without it, containerd 1.x takes runc's table from the file alone and leaves runtime_type empty.
        change(table, key, RUNC_V2)
    change(*layout["systemd_cgroup"], new=bool(systemd_cgroup))
    if sandbox_image:
        change(*layout["sandbox_image"], new=sandbox_image)
    new_text = "\n".join(lines) + "\n" if changes else text
    if changes and tomllib.loads(new_text) != wanted:
        raise ContainerdError(
            "cannot merge %s into %s safely: the edit would change other settings of the file. Set them by hand. "
            "Nothing was changed." % (", ".join(c.split(":", 1)[0] for c in changes), path))
    table, key = layout["runtime_type"]
    return dict(text=new_text, changes=changes, version=version, layout=layout,
                runtime_type=lookup(wanted, table + (key,)))


def check_dump(dump, major, systemd_cgroup=True, sandbox_image="", config_path="/etc/containerd/certs.d",
               runtime_type=RUNC_V2):
    """What `containerd config dump` (containerd's merged view of the file) shows that differs from what was asked:
    a list of "key is X, not Y"."""
    data = loads(dump, "containerd config dump")
    layout = LAYOUTS[3 if major >= 2 else 2]
    wanted = [(layout["systemd_cgroup"], bool(systemd_cgroup)), (layout["runtime_type"], runtime_type)]
    if sandbox_image:
        wanted.append((layout["sandbox_image"], sandbox_image))
    problems = []
    for (table, key), want in wanted:
        got = lookup(data, table + (key,))
        if got != want:
            problems.append("%s is %s, not %s" % (dotted(table, key), json.dumps(got), json.dumps(want)))
    table, key = layout["config_path"]
    got = lookup(data, table + (key,))
    if config_path not in str(got or "").split(":"):
        problems.append("%s is %s, without %s" % (dotted(table, key), json.dumps(got), config_path))
    disabled = [d for d in data.get("disabled_plugins") or [] if d in CRI_IDS]
    if disabled:
        problems.append("disabled_plugins still has %s" % ", ".join(disabled))
    return problems
