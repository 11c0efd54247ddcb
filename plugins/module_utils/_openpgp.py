# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE: shared by this collection's modules; not a public API, may change without notice.

OpenPGP public keys read without gpg, to pin a repository key.

A pin means exactly one thing: the key material written to a host is one
primary key whose fingerprint equals the pin, with its own user IDs, subkeys
and signatures, and nothing else. accept_key() reads what a mirror served and
either returns the packets of that one key or refuses, naming what else it
found (another primary key, another armor block, text around the block, the
pinned key carried as a subkey of another primary, packets a key never has).
Signatures are not verified here: gpgv (apt) and rpm do that with the key
this module lets through, and only with it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import hashlib
import re

PUBLIC_KEY, PUBLIC_SUBKEY, SIGNATURE, USER_ID, USER_ATTRIBUTE, TRUST = 6, 14, 2, 13, 17, 12
PUBLIC_KEY_TAGS = (PUBLIC_KEY, PUBLIC_SUBKEY)
# What a transferable public key holds after its primary key (RFC 9580 10.1).
_KEY_COMPONENT_TAGS = (SIGNATURE, USER_ID, USER_ATTRIBUTE, PUBLIC_SUBKEY, TRUST)
_TAG_NAMES = {
    1: "public-key encrypted session key", 2: "signature", 3: "symmetric-key encrypted session key",
    4: "one-pass signature", 5: "secret key", 6: "public key", 7: "secret subkey", 8: "compressed data",
    9: "symmetrically encrypted data", 10: "marker", 11: "literal data", 12: "trust", 13: "user ID",
    14: "public subkey", 17: "user attribute", 18: "encrypted and integrity protected data", 19: "modification detection code",
    21: "padding",
}
SUBKEY_BINDING = 0x18
_ARMOR_RE = re.compile(
    r"-----BEGIN PGP ([A-Z ,0-9/]+)-----[ \t]*\r?\n(.*?)\r?\n-----END PGP ([A-Z ,0-9/]+)-----", re.S)


class OpenPGPError(ValueError):
    pass


def tag_name(tag):
    return "%s packet (tag %d)" % (_TAG_NAMES.get(tag, "unknown"), tag)


def normalize_fingerprint(value, varname="fingerprint"):
    """'9DC8 5822 9FC7 ...' or '0x9dc8...' -> '9DC858229FC7...'.

    Only a full fingerprint is a pin: 40 hex digits (v4) or 64 (v5, v6). A key
    ID (8 or 16 hex digits) names many possible keys and is refused.
    """
    fpr = re.sub(r"\s+", "", str(value or "")).upper()
    if fpr.startswith("0X"):
        fpr = fpr[2:]
    if re.match(r"^([0-9A-F]{40}|[0-9A-F]{64})$", fpr):
        return fpr
    if re.match(r"^([0-9A-F]{8}|[0-9A-F]{16})$", fpr):
        raise OpenPGPError(
            "%s %r is a key ID, not an OpenPGP fingerprint: another key can have the same ID. Give the whole "
            "fingerprint, 40 hex digits (v4 key) or 64 (v5/v6 key); spaces are allowed" % (varname, value))
    raise OpenPGPError(
        "%s %r is not an OpenPGP fingerprint: expected 40 (v4) or 64 (v5/v6) hex digits, spaces allowed"
        % (varname, value))


def crc24(data):
    """The armor checksum (RFC 9580 6.1)."""
    crc = 0xB704CE
    for byte in bytearray(data):
        crc ^= byte << 16
        for _bit in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    return crc & 0xFFFFFF


def _armor_body(block, number):
    """Bytes of one armor block's body (headers skipped, checksum checked when present)."""
    lines = block.replace("\r\n", "\n").split("\n")
    # Armor headers ("Comment: ...") end at the first blank line.
    if lines and re.match(r"^[A-Za-z-]+: ", lines[0]):
        while lines and lines[0].strip():
            lines.pop(0)
    data, checksum = [], None
    for line in lines:
        line = line.strip()
        if not line:
            continue
        if line.startswith("="):
            checksum = line[1:]
            continue
        if checksum is not None:
            raise OpenPGPError("armor block %d has data after its checksum line" % number)
        data.append(line)
    try:
        raw = base64.b64decode("".join(data), validate=True)
    except (binascii.Error, ValueError) as e:
        raise OpenPGPError("not an OpenPGP key: bad base64 in armor block %d (%s)" % (number, e))
    if checksum is not None:
        try:
            expected = int.from_bytes(base64.b64decode(checksum, validate=True), "big")
        except (binascii.Error, ValueError):
            raise OpenPGPError("armor block %d has a malformed checksum line" % number)
        if expected != crc24(raw):
            raise OpenPGPError("armor block %d fails its checksum: the data was altered or truncated" % number)
    return raw


def armor_blocks(text):
    """[(block type, bytes, text before, text after)] of every armor block in text."""
    blocks, pos = [], 0
    for number, m in enumerate(_ARMOR_RE.finditer(text), 1):
        if m.group(1) != m.group(3):
            raise OpenPGPError("armor block %d begins as %s and ends as %s" % (number, m.group(1), m.group(3)))
        blocks.append((m.group(1), _armor_body(m.group(2), number), text[pos:m.start()]))
        pos = m.end()
    return blocks, text[pos:]


def dearmor(data):
    """Bytes of an ASCII-armored or binary key block (every armor block, concatenated)."""
    if isinstance(data, bytes):
        if b"-----BEGIN PGP" not in data:
            return data
        data = data.decode("ascii", "replace")
    if "-----BEGIN PGP" not in data:
        raise OpenPGPError("not an OpenPGP key: no armor header and not binary data")
    blocks, _rest = armor_blocks(data)
    if not blocks:
        raise OpenPGPError("not an OpenPGP key: armor header without an end line")
    return b"".join(raw for _kind, raw, _before in blocks)


def _length(buf, i, truncated, subpacket=False):
    """(length, index after it) of the length octets at buf[i].

    Packets (RFC 9580 4.2.1): one octet below 192, two up to 223, 224-254 a
    partial body length (never used in a key), 255 then four octets.
    Signature subpackets (5.2.3.7): one octet below 192, two up to 254, 255
    then four octets.
    """
    o = buf[i]
    if o < 192:
        return o, i + 1
    if o < (255 if subpacket else 224):
        if i + 2 > len(buf):
            raise OpenPGPError(truncated)
        return ((o - 192) << 8) + buf[i + 1] + 192, i + 2
    if o == 255:
        if i + 5 > len(buf):
            raise OpenPGPError(truncated)
        return int.from_bytes(buf[i + 1:i + 5], "big"), i + 5
    raise OpenPGPError("partial body lengths are not used in key blocks")


def _packets(raw):
    """Yield (tag, body, whole packet bytes) for each packet of an OpenPGP binary stream."""
    pos = 0
    while pos < len(raw):
        start = pos
        first = raw[pos]
        if pos + 2 > len(raw):
            raise OpenPGPError("not an OpenPGP key: truncated packet")
        if not first & 0x80:
            raise OpenPGPError("not an OpenPGP key: bad packet header at byte %d" % pos)
        if first & 0x40:  # new format (RFC 9580 4.2.1)
            tag = first & 0x3F
            length, pos = _length(raw, pos + 1, "not an OpenPGP key: truncated packet")
        else:  # legacy format
            tag = (first >> 2) & 0x0F
            ltype = first & 0x03
            pos += 1
            if ltype == 3:
                raise OpenPGPError("a packet of indeterminate length (byte %d) is not used in key blocks" % start)
            size = (1, 2, 4)[ltype]
            if pos + size > len(raw):
                raise OpenPGPError("not an OpenPGP key: truncated packet")
            length, pos = int.from_bytes(raw[pos:pos + size], "big"), pos + size
        body = raw[pos:pos + length]
        if len(body) != length:
            raise OpenPGPError("not an OpenPGP key: truncated packet")
        pos += length
        yield tag, body, raw[start:pos]


def packets(raw):
    """Yield (tag, body) for each packet of an OpenPGP binary stream."""
    for tag, body, _whole in _packets(raw):
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


def _signature_info(body):
    """(signature type, issuer fingerprints and key IDs) of a signature packet body."""
    if not body:
        raise OpenPGPError("empty signature packet")
    version = body[0]
    if version == 3:
        if len(body) < 15:
            raise OpenPGPError("truncated v3 signature packet")
        return body[2], {body[7:15].hex().upper()}
    if version not in (4, 5, 6):
        raise OpenPGPError("unsupported signature version %d" % version)
    sig_type = body[1]
    count = 4 if version == 6 else 2
    pos, issuers = 4, set()
    for _area in (0, 1):  # hashed, then unhashed subpackets
        if pos + count > len(body):
            raise OpenPGPError("truncated signature packet")
        area_len = int.from_bytes(body[pos:pos + count], "big")
        pos += count
        area, pos = body[pos:pos + area_len], pos + area_len
        if len(area) != area_len:
            raise OpenPGPError("truncated signature subpackets")
        i = 0
        while i < len(area):
            n, i = _length(area, i, "truncated signature subpacket", subpacket=True)
            sub = area[i:i + n]
            if not sub:
                raise OpenPGPError("empty signature subpacket")
            kind = sub[0] & 0x7F
            if kind == 16:  # issuer key ID
                issuers.add(sub[1:9].hex().upper())
            elif kind == 33:  # issuer fingerprint: version octet, then the fingerprint
                issuers.add(sub[2:].hex().upper())
            i += n
    return sig_type, issuers


def _is_issuer(issuers, fpr, version):
    if not issuers:
        return True  # nothing to compare: gpgv/rpm check the signature itself
    key_id = fpr[-16:] if version == 4 else fpr[:16]
    return fpr in issuers or key_id in issuers


class AcceptedKey(object):
    """The one key a pin lets through."""

    def __init__(self, fingerprint, version, subkeys, user_ids, raw):
        self.fingerprint = fingerprint
        self.version = version
        self.subkeys = subkeys
        self.user_ids = user_ids
        self.raw = raw  # the key's packets, as served (binary keyring)

    def armored(self):
        return armor(self.raw)

    def summary(self):
        """One line for --diff and messages: never the key material."""
        parts = ["OpenPGP v%d key %s" % (self.version, self.fingerprint)]
        if self.user_ids:
            parts.append("(%s)" % ", ".join(self.user_ids))
        if self.subkeys:
            parts.append("with subkey(s) %s" % ", ".join(self.subkeys))
        return " ".join(parts)


def armor(raw, kind="PUBLIC KEY BLOCK"):
    """ASCII armor with a checksum (what rpm --import reads)."""
    text = base64.b64encode(raw).decode("ascii")
    lines = [text[i:i + 64] for i in range(0, len(text), 64)]
    crc = base64.b64encode(crc24(raw).to_bytes(3, "big")).decode("ascii")
    return "-----BEGIN PGP %s-----\n\n%s\n=%s\n-----END PGP %s-----\n" % (kind, "\n".join(lines), crc, kind)


def _split_input(data):
    """The binary key data of what a mirror served, refusing anything beside one block."""
    if isinstance(data, bytes):
        if b"-----BEGIN PGP" not in data:
            if not data.strip():
                raise OpenPGPError("the key file is empty")
            if not data[0] & 0x80:
                raise OpenPGPError("not an OpenPGP key: neither ASCII armor nor binary OpenPGP data")
            return data
        try:
            data = data.decode("ascii")
        except UnicodeDecodeError:
            raise OpenPGPError("the armored key file carries non-ASCII bytes beside its armor block")
    if "-----BEGIN PGP" not in data:
        raise OpenPGPError("not an OpenPGP key: no armor header and not binary data")
    blocks, after = armor_blocks(data)
    if not blocks:
        raise OpenPGPError("not an OpenPGP key: armor header without an end line")
    if len(blocks) > 1:
        raise OpenPGPError("the key file holds %d armor blocks; a pinned key is one block with one key"
                           % len(blocks))
    kind, raw, before = blocks[0]
    if kind != "PUBLIC KEY BLOCK":
        raise OpenPGPError("the key file holds a PGP %s, not a PGP PUBLIC KEY BLOCK" % kind)
    for where, text in (("before", before), ("after", after)):
        if text.strip():
            raise OpenPGPError("the key file has text %s its armor block (%r)" % (where, text.strip()[:60]))
    return raw


def accept_key(data, pin, varname="fingerprint"):
    """The AcceptedKey of data if it is exactly the pinned key, else OpenPGPError naming what is wrong.

    data is what a mirror served (armored text, or binary); pin a fingerprint
    (normalized here). Every packet is accounted for before anything is
    accepted: one primary key whose fingerprint is the pin, then only its user
    IDs, user attributes, signatures and subkeys, each subkey followed by a
    binding signature that does not name another key as its issuer.
    """
    pin = normalize_fingerprint(pin, varname)
    raw = _split_input(data)
    parsed = list(_packets(raw))
    if not parsed:
        raise OpenPGPError("no public key packet found in the key data")
    primaries = [fingerprint(body) for tag, body, _whole in parsed if tag == PUBLIC_KEY]
    subkeys_all = [fingerprint(body) for tag, body, _whole in parsed if tag == PUBLIC_SUBKEY]
    first_tag, first_body, _whole = parsed[0]
    if first_tag != PUBLIC_KEY:
        raise OpenPGPError("the key data starts with a %s, not a public key" % tag_name(first_tag))
    primary = fingerprint(first_body)
    if primary != pin:
        if pin in subkeys_all:
            raise OpenPGPError(
                "the pinned key %s is only a subkey of primary key %s here: a mirror cannot make another "
                "key trusted by carrying Docker's. Not %s %s" % (pin, primary, varname, pin))
        raise OpenPGPError("the key has fingerprint %s, not %s %s" % (", ".join(primaries), varname, pin))
    if len(primaries) > 1:
        raise OpenPGPError("the key file holds another primary key beside the pinned one: %s"
                           % ", ".join(primaries[1:]))
    version = first_body[0]
    subkeys, user_ids, pending = [], [], None
    for index, (tag, body, _whole) in enumerate(parsed[1:], 2):
        if tag not in _KEY_COMPONENT_TAGS:
            raise OpenPGPError("the key file holds a %s (packet %d), which is not part of a public key"
                               % (tag_name(tag), index))
        if tag == PUBLIC_SUBKEY:
            if pending:
                raise OpenPGPError("subkey %s has no binding signature from %s" % (pending, primary))
            pending = fingerprint(body)
            if pending == primary:
                raise OpenPGPError("the primary key %s appears again as a subkey" % primary)
            subkeys.append(pending)
        elif tag == SIGNATURE and pending:
            sig_type, issuers = _signature_info(body)
            if sig_type == SUBKEY_BINDING:
                if not _is_issuer(issuers, primary, version):
                    raise OpenPGPError("subkey %s is bound by a signature from another key (%s), not by %s"
                                       % (pending, ", ".join(sorted(issuers)), primary))
                pending = None
        elif tag == USER_ID:
            if subkeys:
                raise OpenPGPError("the key file has a user ID after its subkeys (packet %d)" % index)
            user_ids.append(body.decode("utf-8", "replace"))
        elif tag == USER_ATTRIBUTE and subkeys:
            raise OpenPGPError("the key file has a user attribute after its subkeys (packet %d)" % index)
    if pending:
        raise OpenPGPError("subkey %s has no binding signature from %s" % (pending, primary))
    # Trust packets are the local keyring's business, never a mirror's.
    kept = b"".join(whole for tag, _body, whole in parsed if tag != TRUST)
    return AcceptedKey(primary, version, subkeys, user_ids, kept)
