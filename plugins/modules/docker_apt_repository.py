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
  - A write that fails puts back what was already written, keyring first, and fails naming the error.
  - No backup file is left beside the keyring or the definition. Before the first write, a journal beside the
    keyring (C(.<definition's name>.dockerops-unread), root, C(0600)) keeps what both files were. It is
    removed once apt has read the repository, or once both are put back.
  - A run cut off before that (a killed controller, a lost host) leaves the journal. The next run reads the
    repository again even when nothing is left to write, and when apt cannot read it, puts back what the
    journal holds, not what the cut-off run left.
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
      - Neither O(keyring), O(definition) nor the journal may be among them, under any name (links and C(..) are
        resolved).
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
  description: >-
    Whether apt's view of the repository changes: the keyring or the definition was written (or would be), or a
    cut-off run's journal was found.
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
stdout:
  description: apt-get's output, when apt could not read the repository.
  returned: failure to read
  type: str
stderr:
  description: apt-get's error output, when apt could not read the repository.
  returned: failure to read
  type: str
"""

import base64
import json
import os
import stat

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_native, to_text

from ansible_collections.dockerops.host.plugins.module_utils import _apt, _files, _repo_key

FILE_MODE = 0o644
DIR_MODE = 0o755
JOURNAL_MODE = 0o600
# The write order, and the put-back order: cut off between the two, the working definition still names the
# keyring that verifies it.
FILES = ("keyring", "definition")


def _state(module, path, option):
    """What is at path, as a put-back restores it: {content, mode, uid, gid}, or None when nothing (or a dangling
    link) is there; fail_json naming the option when it is a directory."""
    if os.path.isdir(path):
        module.fail_json(msg="%s %s is a directory. Nothing was written." % (option, path))
    if not os.path.exists(path):
        return None
    st = os.stat(path)
    with open(path, "rb") as f:
        return dict(content=f.read(), mode=stat.S_IMODE(st.st_mode), uid=st.st_uid, gid=st.st_gid)


def _differs(state, wanted):
    return (state is None or state["content"] != wanted
            or _files.attributes_differ(state["uid"], state["gid"], state["mode"], FILE_MODE))


def _same(state, previous):
    if state is None or previous is None:
        return state is previous
    return state["content"] == previous["content"] and state["mode"] == previous["mode"]


def _journal_text(previous):
    """The journal: what both files were before this transaction, for a later run to put back."""
    return to_bytes(json.dumps(dict(
        (name, None if state is None else dict(content=to_text(base64.b64encode(state["content"])),
                                               mode=state["mode"]))
        for name, state in previous.items()), sort_keys=True))


def _read_journal(path):
    """None when there is no journal (no transaction left unfinished); else what it holds, {} when unreadable
    (the files as they are then stand for the previous ones)."""
    if not os.path.lexists(path):
        return None
    try:
        with open(path, "rb") as f:
            data = json.loads(to_text(f.read()))
        return dict((name, None if data[name] is None else dict(
            content=base64.b64decode(data[name]["content"]), mode=int(data[name]["mode"]))) for name in FILES)
    except (IOError, OSError, ValueError, KeyError, TypeError):
        return {}


def _put_back(module, paths, previous, journal, keep_journal=False):
    """Every file back as it was before the transaction (keyring first), then the journal removed (unless
    keep_journal: one that could not be read, so that the next run reads the repository again); what was done, in
    words. A put-back that fails keeps the journal, for the next run, and fails naming it."""
    acted = {}
    for name in FILES:
        try:
            acted[name] = not _same(_state(module, paths[name], name), previous[name])
            if acted[name] and previous[name] is None:
                os.unlink(paths[name])
            elif acted[name]:
                _files.replace(paths[name], previous[name]["content"], mode=previous[name]["mode"])
        except (IOError, OSError) as e:
            module.fail_json(msg="Putting the previous %s %s back failed: %s. %s keeps what it was, and the next run "
                                 "puts it back if apt cannot read the repository." % (
                                     name, paths[name], to_native(e), journal))
    if not keep_journal:
        _remove(module, journal)
    if previous["definition"] is None:
        said = "its definition was removed again" if acted["definition"] else "no definition was left"
    else:
        said = "the previous definition was put back" if acted["definition"] else "the definition was left as it was"
    if acted["keyring"]:
        said += ", with the previous keyring" if previous["keyring"] is not None else ", and the new keyring removed"
    return said


def _remove(module, path, done=()):
    try:
        os.unlink(path)
    except OSError as e:
        module.fail_json(msg="Could not remove %s: %s%s" % (
            path, to_native(e), "; removed before it: %s" % ", ".join(done) if done else ""))


def _own_path(path, own):
    real = os.path.realpath(path)
    return any(real == os.path.realpath(p) for p in own)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            key_url=dict(type="str", required=True, no_log=False),
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
    paths = dict(keyring=p["keyring"], definition=p["definition"])
    journal = os.path.join(os.path.dirname(paths["keyring"]),
                           ".%s.dockerops-unread" % os.path.basename(paths["definition"]))
    for path in p["leftovers"]:
        if _own_path(path, list(paths.values()) + [journal]):
            module.fail_json(msg="leftovers names %s, which is the repository's own keyring, definition or journal. "
                                 "Nothing was written." % path)
    # Before anything is written: a host without apt-get is refused with nothing changed.
    apt_get = module.get_bin_path("apt-get", required=True)
    key = _repo_key.pinned_key(module, p["key_url"], p["fingerprint"], p["pin_variable"], p["timeout"])
    wanted = dict(keyring=key.raw, definition=to_bytes(p["content"]))
    current = dict((name, _state(module, paths[name], name)) for name in FILES)
    changed = dict((name, _differs(current[name], wanted[name])) for name in FILES)
    # A transaction a cut-off run left unfinished: apt never read what it wrote, and the journal says what was
    # there before it.
    unfinished = _read_journal(journal)
    previous = dict(current)
    previous.update(unfinished or {})
    must_read = changed["keyring"] or changed["definition"] or unfinished is not None
    removals = [path for path in p["leftovers"] if os.path.lexists(path) and not os.path.isdir(path)]

    result = dict(changed=must_read or bool(removals), keyring_changed=changed["keyring"],
                  definition_changed=changed["definition"], repository_changed=must_read, apt_read=False,
                  files_removed=removals, fingerprint=key.fingerprint, key_version=key.version,
                  subkeys=key.subkeys, user_ids=key.user_ids)
    if module._diff:
        diffs = []
        if changed["keyring"]:
            before, after = _repo_key.describe(current["keyring"] and current["keyring"]["content"]), key.summary()
            if current["keyring"] and current["keyring"]["content"] == wanted["keyring"]:
                before = "%s (owner %d:%d, mode %04o)\n" % (
                    after, current["keyring"]["uid"], current["keyring"]["gid"], current["keyring"]["mode"])
                after = "%s (owner 0:0, mode %04o)" % (after, FILE_MODE)
            diffs.append(dict(before_header=paths["keyring"], after_header=paths["keyring"], before=before,
                              after=after + "\n"))
        if changed["definition"]:
            diffs.append(dict(before_header=paths["definition"], after_header=paths["definition"],
                              before=to_native((current["definition"] or {}).get("content", b"")),
                              after=p["content"]))
        diffs.extend(dict(before_header=path, after_header=path, before="(present)\n", after="(absent)\n")
                     for path in removals)
        result["diff"] = diffs
    if module.check_mode:
        module.exit_json(**result)

    if must_read:
        try:
            if unfinished is None:
                _files.replace(journal, _journal_text(previous), mode=JOURNAL_MODE, dir_mode=DIR_MODE)
            for name in FILES:
                if changed[name]:
                    _files.replace(paths[name], wanted[name], mode=FILE_MODE, dir_mode=DIR_MODE)
        except (IOError, OSError) as e:
            said = (_put_back(module, paths, previous, journal, keep_journal=unfinished == {})
                    if os.path.lexists(journal) else "nothing was written")
            module.fail_json(msg="Could not write %s's files: %s; %s." % (p["description"], to_native(e), said))
        rc, out, err = _apt.update_one(module, apt_get, paths["definition"], p["lock_timeout"])
        said = _apt.read_failure(rc, out, err)
        if said:
            module.fail_json(msg="apt could not read %s; %s. apt said (rc %s): %s" % (
                p["description"], _put_back(module, paths, previous, journal, keep_journal=unfinished == {}), rc, said),
                rc=rc, stdout=out, stderr=err, changed=False)
        _remove(module, journal)
        result["apt_read"] = True

    for i, path in enumerate(removals):
        _remove(module, path, removals[:i])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
