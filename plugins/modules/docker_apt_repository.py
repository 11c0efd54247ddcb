#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: docker_apt_repository
short_description: Configure an apt repository with its pinned signing key, read by apt or put back, in one step
description:
  - One transaction on the managed host. It writes the repository's keyring, with only the pinned key (as
    M(dockerops.host.docker_repo_key) does), and its definition (O(content), for example a deb822 C(.sources)
    file). Then it runs C(apt-get update) of that definition alone.
  - When apt cannot read the repository (a wrong key, a mirror that does not answer or lacks the suite, an error
    or a fetch warning), the previous keyring and definition are put back, keyring first, or removed when there
    were none. The module then fails with apt's words, saying what was put back.
  - While another apt holds the lists lock (apt-daily, cloud-init), the read is tried again every 5 seconds,
    up to O(lock_timeout).
  - Once apt has read the repository (or when nothing changed), the files in O(leftovers) that exist are
    removed in their order, for example older definitions of the same repository and keyrings no longer named.
    A directory is never removed, and a link is removed as a link.
  - A key that is not exactly the pinned one is refused before anything is written.
  - No backup file is left beside the keyring or the definition. The previous contents are kept in memory for
    the put-back.
  - A run cut off between the write and apt's read (a killed controller, a lost host) leaves a marker beside
    the keyring (C(.<definition's name>.dockerops-unread)). The next run reads the repository again even
    when nothing changes, and removes the marker once apt has read it.
version_added: 0.2.0
author: dockerops.host maintainers (@dockerops)
options:
  key_url:
    description:
      - Where the mirror serves the key. C(http://), C(https://), or C(file:///path) for a file on the managed host.
    type: str
    required: true
  fingerprint:
    description:
      - The pin, a full fingerprint of 40 (v4) or 64 (v5, v6) hex digits. Spaces and a C(0x) prefix are allowed.
      - A key ID (8 or 16 hex digits) is refused.
    type: str
    required: true
  pin_variable:
    description: The name of the variable the pin came from, used in messages so that users see what they set.
    type: str
    default: fingerprint
  keyring:
    description:
      - The keyring file, written with the pinned key's packets (binary, as apt reads a C(.gpg) C(Signed-By)
        keyring), root-owned, mode C(0644). Its directory is created with mode C(0755) when missing.
    type: path
    required: true
  definition:
    description: The repository definition file, written with O(content), root-owned, mode C(0644).
    type: path
    required: true
  content:
    description: The text of the repository definition. It should name O(keyring) as its C(Signed-By).
    type: str
    required: true
  leftovers:
    description:
      - Files removed, in this order, once apt has read the repository, or when nothing had to be read.
      - Neither O(keyring) nor O(definition) may be among them.
    type: list
    elements: path
    default: []
  description:
    description: How messages name the repository, for example C(Docker's repository at URL (bookworm stable)).
    type: str
    default: the repository
  lock_timeout:
    description: Seconds to go on trying the read while another apt holds the lists lock.
    type: int
    default: 60
  timeout:
    description: Seconds to wait for the mirror's key.
    type: int
    default: 30
  validate_certs:
    description: Check the mirror's TLS certificate when the key is read.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: >-
      Reads and checks the key, and reports what would be written and removed. Nothing is written, and apt is not
      run.
  diff_mode:
    support: full
    description: >-
      The definition's text before and after, the keyring by fingerprints (never its material), and each file
      that would be removed.
notes:
  - Only apt's view of this one repository is refreshed. The rest of the package index is left to the caller.
seealso:
  - module: dockerops.host.docker_repo_key
  - module: ansible.builtin.deb822_repository
"""

EXAMPLES = r"""
- name: Docker's repository, its key pinned, read by apt or put back
  dockerops.host.docker_apt_repository:
    key_url: "{{ docker_mirror }}/linux/debian/gpg"
    fingerprint: "9DC8 5822 9FC7 DD38 854A  E2D8 8D81 803C 0EBF CD88"
    keyring: /etc/apt/keyrings/docker.gpg
    definition: /etc/apt/sources.list.d/docker.sources
    content: |
      Types: deb
      URIs: {{ docker_mirror }}/linux/debian
      Suites: bookworm
      Components: stable
      Signed-By: /etc/apt/keyrings/docker.gpg
    leftovers:
      - /etc/apt/sources.list.d/docker.list
    description: Docker's repository (bookworm stable)
"""

RETURN = r"""
fingerprint:
  description: The accepted key's fingerprint, upper-case hex.
  returned: success
  type: str
  sample: 9DC858229FC7DD38854AE2D88D81803C0EBFCD88
key_version:
  description: The OpenPGP version of the accepted key (4, 5 or 6).
  returned: success
  type: int
subkeys:
  description: Fingerprints of the accepted key's subkeys.
  returned: success
  type: list
  elements: str
user_ids:
  description: The accepted key's user IDs.
  returned: success
  type: list
  elements: str
keyring_changed:
  description: Whether the keyring was written (or would be, in check mode).
  returned: success
  type: bool
definition_changed:
  description: Whether the definition was written (or would be, in check mode).
  returned: success
  type: bool
repository_changed:
  description: Whether the keyring or the definition was written (or would be): apt's view of the repository changed.
  returned: success
  type: bool
apt_read:
  description: Whether apt read the repository in this run (it does after a write, or after a cut-off run).
  returned: success
  type: bool
files_removed:
  description: The O(leftovers) removed (or that would be, in check mode), in their order.
  returned: success
  type: list
  elements: str
rc:
  description: apt-get's exit status, when apt could not read the repository.
  returned: failure to read
  type: int
"""

import os
import stat

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_native

from ansible_collections.dockerops.host.plugins.module_utils import _apt, _files, _repo_key

FILE_MODE = 0o644
DIR_MODE = 0o755


def _current(module, path, option):
    """(bytes, stat) of path, (None, None) when absent; fail_json naming the option when it is a directory."""
    if os.path.isdir(path):
        module.fail_json(msg="%s %s is a directory. Nothing was written." % (option, path))
    if not os.path.lexists(path) or not os.path.exists(path):
        return None, None
    with open(path, "rb") as f:
        return f.read(), os.stat(path)


def _differs(current, st, wanted):
    return current != wanted or st.st_uid != 0 or st.st_gid != 0 or stat.S_IMODE(st.st_mode) != FILE_MODE


def _put_back(module, path, before, st):
    """path as it was: its earlier bytes and mode, or absent."""
    if before is None:
        if os.path.lexists(path):
            os.unlink(path)
    else:
        _files.write_atomic(module, path, before, mode=stat.S_IMODE(st.st_mode))


def _kept(definition_changed, definition_before, keyring_changed, keyring_before):
    """What a failed read leaves, in words."""
    if definition_before is None:
        said = "its definition was removed again"
    elif definition_changed:
        said = "the previous definition was put back"
    else:
        said = "the definition was left as it was"
    if keyring_changed:
        said += ", with the previous keyring" if keyring_before is not None else ", and the new keyring removed"
    return said


def main():
    module = AnsibleModule(
        argument_spec=dict(
            key_url=dict(type="str", required=True),
            fingerprint=dict(type="str", required=True),
            pin_variable=dict(type="str", default="fingerprint"),
            keyring=dict(type="path", required=True),
            definition=dict(type="path", required=True),
            content=dict(type="str", required=True),
            leftovers=dict(type="list", elements="path", default=[]),
            description=dict(type="str", default="the repository"),
            lock_timeout=dict(type="int", default=60),
            timeout=dict(type="int", default=30),
            validate_certs=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    p = module.params
    keyring, definition = p["keyring"], p["definition"]
    for path in (keyring, definition):
        if path in p["leftovers"]:
            module.fail_json(msg="leftovers names %s, the repository's own keyring or definition. Nothing was "
                                 "written." % path)
    key = _repo_key.pinned_key(module, p["key_url"], p["fingerprint"], p["pin_variable"], p["timeout"])
    wanted = dict(keyring=key.raw, definition=to_bytes(p["content"]))
    before, st = {}, {}
    before["keyring"], st["keyring"] = _current(module, keyring, "keyring")
    before["definition"], st["definition"] = _current(module, definition, "definition")
    changed = dict((name, before[name] is None or _differs(before[name], st[name], wanted[name]))
                   for name in ("keyring", "definition"))
    marker = os.path.join(os.path.dirname(keyring), ".%s.dockerops-unread" % os.path.basename(definition))
    unread = os.path.lexists(marker)
    removals = [path for path in p["leftovers"] if os.path.lexists(path) and not os.path.isdir(path)]

    result = dict(changed=changed["keyring"] or changed["definition"] or bool(removals),
                  keyring_changed=changed["keyring"], definition_changed=changed["definition"],
                  repository_changed=changed["keyring"] or changed["definition"], apt_read=False,
                  files_removed=removals, fingerprint=key.fingerprint, key_version=key.version,
                  subkeys=key.subkeys, user_ids=key.user_ids)
    if module._diff:
        diffs = []
        if changed["keyring"]:
            diffs.append(dict(before_header=keyring, after_header=keyring, before=_repo_key.describe(before["keyring"]),
                              after="%s\n" % key.summary()))
        if changed["definition"]:
            diffs.append(dict(before_header=definition, after_header=definition,
                              before=to_native(before["definition"] or b""), after=p["content"]))
        diffs.extend(dict(before_header=path, after_header=path, before="(present)\n", after="(absent)\n")
                     for path in removals)
        result["diff"] = diffs
    if module.check_mode:
        module.exit_json(**result)

    if result["repository_changed"] or unread:
        if not unread:
            _files.write_atomic(module, marker, b"", mode=FILE_MODE, dir_mode=DIR_MODE)
        for name, path in (("keyring", keyring), ("definition", definition)):
            if changed[name]:
                _files.write_atomic(module, path, wanted[name], mode=FILE_MODE, dir_mode=DIR_MODE)
        rc, out, err = _apt.update_one(module, definition, p["lock_timeout"])
        said = _apt.read_failure(rc, out, err)
        if said:
            # The keyring first: cut off here, the working definition still names the keyring that verifies it.
            for name, path in (("keyring", keyring), ("definition", definition)):
                if changed[name]:
                    _put_back(module, path, before[name], st[name])
            if not unread:
                os.unlink(marker)
            module.fail_json(msg="apt could not read %s; %s. apt said (rc %s): %s" % (
                p["description"], _kept(changed["definition"], before["definition"], changed["keyring"],
                                        before["keyring"]), rc, said),
                rc=rc, stdout=out, stderr=err, changed=False)
        os.unlink(marker)
        result["apt_read"] = True

    for path in removals:
        os.unlink(path)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
