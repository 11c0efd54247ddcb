# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Private: a repository's signing key read from its mirror and let through only if it is the pinned key.

Shared by docker_repo_key and docker_apt_repository: the one place a served key is read and checked.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.common.text.converters import to_native
from ansible.module_utils.urls import fetch_url

from ansible_collections.dockerops.host.plugins.module_utils import _openpgp as openpgp

MAX_KEY_BYTES = 1024 * 1024  # Docker's key is 3 KB; a mirror serving more is not serving a key.
SCHEMES = ("http://", "https://", "file:///")


def read_key(module, url, timeout):
    """The bytes the mirror serves at url, or fail_json naming the URL and the cause."""
    if url.startswith("file://"):
        path = url[len("file://"):]
        try:
            with open(path, "rb") as f:
                data = f.read(MAX_KEY_BYTES + 1)
        except (IOError, OSError) as e:
            module.fail_json(msg="Could not read Docker's repository key from %s: %s. Nothing was written."
                             % (url, to_native(e)))
    else:
        response, info = fetch_url(module, url, timeout=timeout)
        if response is None or info.get("status") != 200:
            module.fail_json(msg="Could not read Docker's repository key from %s: %s. Nothing was written."
                             % (url, info.get("msg", "no answer")), status=info.get("status"))
        data = response.read(MAX_KEY_BYTES + 1)
    if len(data) > MAX_KEY_BYTES:
        module.fail_json(msg="The file at %s is larger than %d bytes: not a repository key. Nothing was written."
                         % (url, MAX_KEY_BYTES))
    return data


def pinned_key(module, url, fingerprint, pin_variable, timeout):
    """The key at url if it is exactly the pinned one (openpgp.accept_key), or fail_json saying why not."""
    if not url.startswith(SCHEMES):
        module.fail_json(msg="url %r must start with http://, https:// or file:///" % url)
    try:
        pin = openpgp.normalize_fingerprint(fingerprint, pin_variable)
    except openpgp.OpenPGPError as e:
        module.fail_json(msg=str(e))
    data = read_key(module, url, timeout)
    try:
        return openpgp.accept_key(data, pin, pin_variable)
    except openpgp.OpenPGPError as e:
        module.fail_json(msg="Refusing the key at %s: %s. Nothing was written." % (url, e), url=url)


def describe(raw):
    """What a keyring file holds, for --diff (fingerprints only)."""
    if raw is None:
        return "(absent)\n"
    try:
        return "%s\n" % ", ".join(openpgp.fingerprints(raw))
    except openpgp.OpenPGPError as e:
        return "(not a key: %s)\n" % e
