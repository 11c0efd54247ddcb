# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fingerprints of OpenPGP public keys, without gpg.

Used to pin a repository signing key by fingerprint before it is trusted:
the key is read on the target, its fingerprints are computed here, and the
repository is only written when the pinned one is among them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import hashlib
import re

PUBLIC_KEY_TAGS = (6, 14)  # public key, public subkey


class OpenPGPError(ValueError):
    pass


def normalize_fingerprint(value):
    """'9DC8 5822 9FC7 ...' or '0x9dc8...' -> '9DC858229FC7...'."""
    fpr = re.sub(r"\s+", "", str(value or "")).upper()
    if fpr.startswith("0X"):
        fpr = fpr[2:]
    if not re.match(r"^([0-9A-F]{40}|[0-9A-F]{64})$", fpr):
        raise OpenPGPError(
            "%r is not an OpenPGP fingerprint: expected 40 (v4) or 64 (v6) hex digits, spaces allowed" % (value,))
    return fpr


def dearmor(data):
    """Bytes of an ASCII-armored or binary key block."""
    if isinstance(data, bytes):
        if b"-----BEGIN PGP" not in data:
            return data
        data = data.decode("ascii", "replace")
    if "-----BEGIN PGP" not in data:
        raise OpenPGPError("not an OpenPGP key: no armor header and not binary data")
    blocks = re.findall(r"-----BEGIN PGP [A-Z ]+-----\r?\n(.*?)-----END PGP", data, re.S)
    if not blocks:
        raise OpenPGPError("not an OpenPGP key: armor header without an end line")
    out = b""
    for block in blocks:
        # Armor headers end at the first blank line; the CRC line starts with '='.
        body = block.split("\n\n", 1)[-1] if re.match(r"^[A-Za-z-]+: ", block) else block
        lines = [ln.strip() for ln in body.splitlines() if ln.strip() and not ln.startswith("=")]
        try:
            out += base64.b64decode("".join(lines), validate=True)
        except (binascii.Error, ValueError) as e:
            raise OpenPGPError("not an OpenPGP key: bad base64 in armor (%s)" % e)
    return out


def packets(raw):
    """Yield (tag, body) for each packet of an OpenPGP binary stream."""
    pos = 0
    while pos < len(raw):
        first = raw[pos]
        if pos + 2 > len(raw):
            raise OpenPGPError("not an OpenPGP key: truncated packet")
        if not first & 0x80:
            raise OpenPGPError("not an OpenPGP key: bad packet header at byte %d" % pos)
        if first & 0x40:  # new format
            tag = first & 0x3F
            pos += 1
            o = raw[pos]
            if o < 192:
                length, pos = o, pos + 1
            elif o < 224:
                length, pos = ((o - 192) << 8) + raw[pos + 1] + 192, pos + 2
            elif o == 255:
                length, pos = int.from_bytes(raw[pos + 1:pos + 5], "big"), pos + 5
            else:
                raise OpenPGPError("partial body lengths are not used in key blocks")
        else:  # old format
            tag = (first >> 2) & 0x0F
            ltype = first & 0x03
            pos += 1
            if ltype == 3:
                length = len(raw) - pos
            else:
                size = (1, 2, 4)[ltype]
                if pos + size > len(raw):
                    raise OpenPGPError("not an OpenPGP key: truncated packet")
                length, pos = int.from_bytes(raw[pos:pos + size], "big"), pos + size
        body = raw[pos:pos + length]
        if len(body) != length:
            raise OpenPGPError("not an OpenPGP key: truncated packet")
        pos += length
        yield tag, body


def fingerprint(body):
    if not body:
        raise OpenPGPError("not an OpenPGP key: empty key packet")
    version = body[0]
    if version == 4:
        return hashlib.sha1(b"\x99" + len(body).to_bytes(2, "big") + body).hexdigest().upper()
    if version == 6:
        return hashlib.sha256(b"\x9b" + len(body).to_bytes(4, "big") + body).hexdigest().upper()
    if version == 5:
        return hashlib.sha256(b"\x9a" + len(body).to_bytes(4, "big") + body).hexdigest().upper()
    raise OpenPGPError("unsupported OpenPGP key version %d" % version)


def fingerprints(data):
    """All primary-key and subkey fingerprints found in a key block."""
    found = [fingerprint(body) for tag, body in packets(dearmor(data)) if tag in PUBLIC_KEY_TAGS]
    if not found:
        raise OpenPGPError("no public key packet found in the key data")
    return found
