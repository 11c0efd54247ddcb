#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: docker_repo_key
short_description: Install a package repository's signing key, pinned by its full fingerprint
description:
  - Reads the repository key a mirror serves (C(http://), C(https://) or C(file:///)) on the managed host and
    writes it to O(dest) only if it is exactly the pinned key.
  - The pin means exactly one thing. What is written is one primary key whose fingerprint equals O(fingerprint),
    with its own user IDs, subkeys and signatures, and nothing else.
  - Anything more in the served file is refused before anything is written, and the message names what was found.
    That covers another primary key, a second armor block, text around the block, the pinned key carried as a
    subkey of another primary key, a subkey bound by another key, and packets that are not part of a public key.
  - Signatures are not verified here. apt's C(gpgv) and rpm check them with the key this module lets through,
    and only with it.
version_added: 0.2.0
author: dockerops.host maintainers (@dockerops)
options:
  url:
    description:
      - Where the mirror serves the key, for example C(https://download.docker.com/linux/ubuntu/gpg).
      - C(file:///path) reads a file on the managed host.
    type: str
    required: true
  fingerprint:
    description:
      - The pin, a full fingerprint of 40 (v4) or 64 (v5, v6) hex digits. Spaces and a C(0x) prefix are allowed.
      - A key ID (8 or 16 hex digits) is refused, because many keys can share one.
    type: str
    required: true
  dest:
    description:
      - The keyring file to write. It is written root-owned with mode C(0644), and its parent directory is
        created with mode C(0755) when missing.
    type: path
    required: true
  format:
    description:
      - V(binary) writes the key's packets, which is what apt reads from a C(.gpg) C(Signed-By) keyring.
      - V(armored) writes the same packets ASCII-armored, which is what C(rpm --import) reads.
    type: str
    choices: [binary, armored]
    default: binary
  pin_variable:
    description: The name of the variable the pin came from, used in messages so that users see what they set.
    type: str
    default: fingerprint
  timeout:
    description: Seconds to wait for the mirror.
    type: int
    default: 30
  validate_certs:
    description: Check the mirror's TLS certificate.
    type: bool
    default: true
  backup:
    description:
      - Before replacing an existing O(dest), keep a copy of it beside it (the name is returned in RV(backup_file)),
        so that a caller can put it back when the new key turns out to be unusable, for example when apt cannot
        read the repository it signs.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: Reads and checks the key, and reports whether O(dest) would change, without writing.
  diff_mode:
    support: full
    description: The diff names the key by fingerprint, user IDs and subkeys, never by its material.
notes:
  - A key served over plain C(http://) is as trustworthy as the pin, but the packages a plain-http mirror serves
    can be read by anyone on the path. Only their signature protects them.
seealso:
  - module: ansible.builtin.rpm_key
  - module: ansible.builtin.deb822_repository
"""

EXAMPLES = r"""
- name: Install Docker's apt key, pinned
  dockerops.host.docker_repo_key:
    url: https://download.docker.com/linux/ubuntu/gpg
    fingerprint: "9DC8 5822 9FC7 DD38 854A  E2D8 8D81 803C 0EBF CD88"
    dest: /etc/apt/keyrings/docker.gpg

- name: Keep Docker's rpm key for rpm --import, pinned
  dockerops.host.docker_repo_key:
    url: https://download.docker.com/linux/centos/gpg
    fingerprint: "060A 61C5 1B55 8A7F 742B  77AA C52F EB6B 621E 9F35"
    dest: /etc/pki/rpm-gpg/docker-ce.gpg
    format: armored
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
  sample: 4
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
  sample: ["Docker Release (CE deb) <docker@docker.com>"]
dest:
  description: The keyring written (or that would be written in check mode).
  returned: success
  type: str
backup_file:
  description: The copy of the previous O(dest), when O(backup) is set and an existing O(dest) was replaced.
  returned: changed and O(backup) and O(dest) existed
  type: str
  sample: /etc/apt/keyrings/docker.gpg.3141.2026-11-29@10:55:02~
"""

import os
import stat

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dockerops.host.plugins.module_utils import _files, _repo_key

KEY_MODE = 0o644
DIR_MODE = 0o755


def main():
    module = AnsibleModule(
        argument_spec=dict(
            url=dict(type="str", required=True),
            fingerprint=dict(type="str", required=True),
            dest=dict(type="path", required=True),
            format=dict(type="str", choices=["binary", "armored"], default="binary"),
            pin_variable=dict(type="str", default="fingerprint"),
            timeout=dict(type="int", default=30),
            validate_certs=dict(type="bool", default=True),
            backup=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    p = module.params
    url, dest = p["url"], p["dest"]
    key = _repo_key.pinned_key(module, url, p["fingerprint"], p["pin_variable"], p["timeout"])
    content = key.raw if p["format"] == "binary" else key.armored().encode("ascii")

    current, st = None, None
    if os.path.exists(dest):
        st = os.stat(dest)
        with open(dest, "rb") as f:
            current = f.read()
    changed = current != content or _files.attributes_differ(st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode),
                                                             KEY_MODE)
    result = dict(changed=changed, fingerprint=key.fingerprint, key_version=key.version, subkeys=key.subkeys,
                  user_ids=key.user_ids, dest=dest)
    if module._diff and changed:
        result["diff"] = dict(before_header=dest, after_header=dest, before=_repo_key.describe(current),
                              after="%s\n" % key.summary())
        if current == content:
            result["diff"]["before"] = "%s (owner %d:%d, mode %04o)\n" % (
                key.summary(), st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode))
            result["diff"]["after"] = "%s (owner 0:0, mode %04o)\n" % (key.summary(), KEY_MODE)
    if changed and not module.check_mode:
        if p["backup"] and current is not None:
            result["backup_file"] = module.backup_local(dest)
        _files.write_atomic(module, dest, content, mode=KEY_MODE, dir_mode=DIR_MODE)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
