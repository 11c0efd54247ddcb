# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Private: the one way the collection's modules ask the Docker engine for `docker info`, read its version and
decide whether it answers.

An engine answered only when the info has a server version: with no engine behind the socket the 20.10 CLI exits
0 and prints only ServerErrors and ClientInfo, the 28 CLI exits 1 and prints a zero-valued info (empty
ServerVersion). Every read runs under coreutils' timeout, so an engine that accepts and never answers cannot hang
a module.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

# timeout(1)'s exit status when the command timed out.
TIMED_OUT = 124
_DOCKERD_VERSION = re.compile(r"version ([0-9][^ ,]*)")
# An apt or rpm epoch ("5:" of "5:28.5.2-1~debian.12~bookworm"), then the release up to the first "-", "+" or "~".
_EPOCH = re.compile(r"^\s*\d+:")
_STRICT = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?")


class EngineVersionError(ValueError):
    pass


def version_tuple(text, strict=False):
    """(major, minor, patch) of a Docker Engine version: the one reading of versions for every module and plugin.

    What every engine reports starts with MAJOR.MINOR[.PATCH]: "20.10.24+dfsg1" and "28.5.2+dfsg1" (Debian's
    docker.io), "28.5.2" (Docker CE), "29.0.0-rc.1" (a pre-release, read as its release). Missing parts are 0.
    strict=False (engine versions, pins and package versions, kernel releases): an epoch before ":" is dropped
    ("5:28.5.2-1~debian.12~bookworm" is 28.5.2), the release ends at the first "-", "+" or "~", its first three
    numbers are read ("26" is (26, 0, 0)), and a text without a number (None, "") reads (0, 0, 0).
    strict=True (a version a decision must not guess at): the text must start with MAJOR.MINOR, else
    EngineVersionError names it.
    """
    text = "" if text is None else str(text)
    if strict:
        m = _STRICT.match(text)
        if not m:
            raise EngineVersionError("cannot read an engine version from %r" % (text,))
        return tuple(int(x or 0) for x in m.groups())
    release = re.split(r"[-+~]", _EPOCH.sub("", text), maxsplit=1)[0]
    nums = [int(n) for n in re.findall(r"\d+", release)[:3]]
    return tuple(nums + [0] * (3 - len(nums)))


def one_line(text):
    return "; ".join(line.strip() for line in (text or "").splitlines() if line.strip())


def _parse(out):
    try:
        data = json.loads(out or "")
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def answers(rc, data):
    """Whether an engine answered: the CLI exited 0 and its info carries a server version (the 20.10 CLI exits 0
    with only ServerErrors when no engine answers, the 28 CLI exits 1 with an empty ServerVersion)."""
    return rc == 0 and isinstance(data, dict) and bool(data.get("ServerVersion"))


def info(module, docker=None, timeout=30):
    """(docker info as a dict, None) when an engine answers with its server version, else (None, why) with why
    one line: the CLI missing, the timeout, the CLI's ServerErrors, its stderr or its exit status."""
    docker = docker or module.get_bin_path("docker")
    if not docker:
        return None, "docker CLI not found"
    argv = [docker, "info", "--format", "{{json .}}"]
    wrapper = module.get_bin_path("timeout")
    if wrapper:
        argv = [wrapper, str(timeout)] + argv
    rc, out, err = module.run_command(argv, environ_update={"LANG": "C"})
    if wrapper and rc == TIMED_OUT:
        return None, "docker info timed out after %ss" % timeout
    data = _parse(out)
    if answers(rc, data):
        return data, None
    errors = one_line("\n".join(str(e) for e in (data or {}).get("ServerErrors") or []))
    if errors:
        return None, errors
    if one_line(err):
        return None, one_line(err)
    if rc != 0:
        return None, "docker info exited with status %d" % rc
    if data is None:
        return None, "docker info printed no JSON object"
    return None, "docker info reported no server version"


def dockerd_version(module):
    """The version `dockerd --version` reports (installed, whether or not it runs), None without a dockerd."""
    dockerd = module.get_bin_path("dockerd")
    if not dockerd:
        return None
    rc, out, dummy = module.run_command([dockerd, "--version"])
    m = _DOCKERD_VERSION.search(out or "")
    return m.group(1) if rc == 0 and m else None


def driver_status(info):
    """docker info's DriverStatus ([[name, value], ...]) as a dict; empty without an info or a DriverStatus."""
    pairs = (info or {}).get("DriverStatus") or []
    return dict(pair for pair in pairs if isinstance(pair, (list, tuple)) and len(pair) == 2)
