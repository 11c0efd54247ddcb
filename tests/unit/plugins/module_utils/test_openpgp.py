import base64
import os

import pytest

from ansible_collections.dockerops.host.plugins.module_utils import openpgp

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures")


def fixture(name, mode="r"):
    with open(os.path.join(FIXTURES, name), mode) as f:
        return f.read()


def expected(name):
    return fixture(name + ".fingerprints").split()


def test_armored_key_with_subkey_gives_primary_then_subkey():
    # Expected values were printed by gpg itself when the fixture was made.
    assert openpgp.fingerprints(fixture("ed25519-with-subkey.asc")) == expected("ed25519-with-subkey")


def test_binary_rsa_key():
    assert openpgp.fingerprints(fixture("rsa2048.gpg", "rb")) == expected("rsa2048")


def test_armored_bytes_are_read_like_text():
    raw = fixture("ed25519-with-subkey.asc").encode()
    assert openpgp.fingerprints(raw) == expected("ed25519-with-subkey")


def test_new_format_packet_headers():
    raw = openpgp.dearmor(fixture("ed25519-with-subkey.asc"))
    rebuilt = b""
    for tag, body in openpgp.packets(raw):
        assert len(body) < 192
        rebuilt += bytes([0xC0 | tag, len(body)]) + body
    assert openpgp.fingerprints(rebuilt) == expected("ed25519-with-subkey")


def test_two_length_new_format_header():
    raw = openpgp.dearmor(fixture("rsa2048.gpg", "rb"))
    rebuilt = b""
    for tag, body in openpgp.packets(raw):
        n = len(body)
        if n < 192:
            rebuilt += bytes([0xC0 | tag, n]) + body
        else:
            rebuilt += bytes([0xC0 | tag, 255]) + n.to_bytes(4, "big") + body
    assert openpgp.fingerprints(rebuilt) == expected("rsa2048")


@pytest.mark.parametrize("value", [
    "9DC8 5822 9FC7 DD38 854A  E2D8 8D81 803C 0EBF CD88",
    "9dc858229fc7dd38854ae2d88d81803c0ebfcd88",
    "0x9DC858229FC7DD38854AE2D88D81803C0EBFCD88",
])
def test_normalize_fingerprint(value):
    assert openpgp.normalize_fingerprint(value) == "9DC858229FC7DD38854AE2D88D81803C0EBFCD88"


@pytest.mark.parametrize("value", ["", "0EBFCD88", "9DC8 5822 9FC7 DD38 854A E2D8 8D81 803C 0EBF CDZZ", None])
def test_bad_fingerprint_is_refused_naming_the_value(value):
    with pytest.raises(openpgp.OpenPGPError, match="not an OpenPGP fingerprint"):
        openpgp.normalize_fingerprint(value)


@pytest.mark.parametrize("data, message", [
    ("<html>404 Not Found</html>", "no armor header"),
    ("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n!!!!\n-----END PGP PUBLIC KEY BLOCK-----\n", "bad base64"),
    (b"\x00\x01\x02", "bad packet header"),
    (base64.b64decode("mQ=="), "truncated packet"),
])
def test_not_a_key_is_refused_with_the_reason(data, message):
    with pytest.raises(openpgp.OpenPGPError, match=message):
        openpgp.fingerprints(data)


def test_a_key_block_without_public_key_packets_is_refused():
    # A lone user ID packet (tag 13).
    with pytest.raises(openpgp.OpenPGPError, match="no public key packet"):
        openpgp.fingerprints(bytes([0xCD, 3]) + b"abc")
