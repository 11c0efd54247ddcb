import base64
import os

import pytest

from ansible_collections.dockerops.host.plugins.module_utils import _openpgp as openpgp

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


def _rebuild(raw, header):
    """raw's packets again, each with the length header header(tag, n) picks."""
    out = b""
    for tag, body in openpgp.packets(raw):
        out += header(tag, len(body)) + body
    return out


def _one_octet(tag, n):
    assert n < 192
    return bytes([0xC0 | tag, n])


def _two_octet(tag, n):
    # RFC 9580 4.2.1.2: 192..8383 as ((first - 192) << 8) + second + 192.
    assert 192 <= n <= 8383
    n -= 192
    return bytes([0xC0 | tag, (n >> 8) + 192, n & 0xFF])


def _five_octet(tag, n):
    return bytes([0xC0 | tag, 255]) + n.to_bytes(4, "big")


def _legacy(size):
    def header(tag, n):
        ltype = {1: 0, 2: 1, 4: 2}[size]
        return bytes([0x80 | (tag << 2) | ltype]) + n.to_bytes(size, "big")
    return header


def test_two_octet_new_format_lengths():
    # The RSA key's packets are 192..8383 bytes long: two-octet lengths; the rest one-octet.
    raw = openpgp.dearmor(fixture("rsa2048.gpg", "rb"))
    sizes = [len(body) for _tag, body in openpgp.packets(raw)]
    assert any(192 <= n <= 8383 for n in sizes)
    rebuilt = _rebuild(raw, lambda tag, n: _one_octet(tag, n) if n < 192 else _two_octet(tag, n))
    assert rebuilt != raw
    assert openpgp.fingerprints(rebuilt) == expected("rsa2048")
    assert [len(b) for _t, b in openpgp.packets(rebuilt)] == sizes


def test_five_octet_new_format_lengths():
    raw = openpgp.dearmor(fixture("rsa2048.gpg", "rb"))
    assert openpgp.fingerprints(_rebuild(raw, _five_octet)) == expected("rsa2048")


@pytest.mark.parametrize("size", [1, 2, 4])
def test_legacy_format_lengths(size):
    raw = fixture("keys/pinned.gpg", "rb")
    if size == 1:
        rebuilt = _rebuild(raw, lambda tag, n: _legacy(1)(tag, n))
    else:
        rebuilt = _rebuild(raw, _legacy(size))
    key = openpgp.accept_key(rebuilt, PINNED)
    assert key.fingerprint == PINNED
    assert key.raw == rebuilt


def test_two_octet_length_boundaries_decode():
    # 192 and 8383 are the smallest and largest two-octet lengths.
    for n in (192, 8383):
        body = bytes(n)
        ((tag, got),) = list(openpgp.packets(_two_octet(13, n) + body))
        assert (tag, len(got)) == (13, n)


def test_indeterminate_length_is_refused():
    raw = fixture("keys/pinned.gpg", "rb")
    first_tag, first_body = next(openpgp.packets(raw))
    with pytest.raises(openpgp.OpenPGPError, match="indeterminate length"):
        list(openpgp.packets(bytes([0x80 | (first_tag << 2) | 3]) + first_body))


PINNED = "51E92E8432C53952FE66175DE5BF3431C0F4D045"
PINNED_SUB = "09D80A93150D084E860BC2D69084B999C277A89D"
OTHER = "F956D629F1451021335FBB6DCD9B9304A490DE07"
THIRD = "7B32CA5AA69EA3C335DB0BC68A512AA7F676A28B"
V6 = "CB186C4F0609A697E4D52DFA6C722B0C1F1E27C18A56708F6525EC27BAD9ACC9"
V6_SUB = "12C83F1E706F6308FE151A417743A1F033790E93E9978488D1DB378DA9930885"


def test_the_pinned_key_alone_is_accepted_as_gpg_exported_it():
    key = openpgp.accept_key(fixture("keys/pinned.asc"), PINNED, "docker_install_ubuntu_key_fingerprint")
    assert key.fingerprint == PINNED
    assert key.version == 4
    assert key.subkeys == [PINNED_SUB]
    assert key.user_ids == ["pinned test key <pinned@dockerops.invalid>"]
    # The keyring written for apt is gpg's own binary export, byte for byte.
    assert key.raw == fixture("keys/pinned.gpg", "rb")


def test_binary_key_is_accepted():
    assert openpgp.accept_key(fixture("keys/pinned.gpg", "rb"), PINNED).raw == fixture("keys/pinned.gpg", "rb")


def test_armored_output_round_trips_with_a_checksum():
    key = openpgp.accept_key(fixture("keys/pinned.asc"), PINNED)
    text = key.armored()
    assert text.startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n")
    assert "\n=" in text
    assert openpgp.accept_key(text, PINNED).raw == key.raw


def test_the_rfc9580_v6_certificate():
    key = openpgp.accept_key(fixture("keys/rfc9580-v6-certificate.asc"), V6)
    assert (key.fingerprint, key.version, key.subkeys, key.user_ids) == (V6, 6, [V6_SUB], [])
    assert openpgp.fingerprints(fixture("keys/rfc9580-v6-certificate.asc")) == [V6, V6_SUB]


# A v5 key (LibrePGP / RFC 4880bis) as OpenPGP.js 5.11.3 made it; the fingerprints are the ones OpenPGP.js printed
# (tests/unit/fixtures/keys/README.md): the primary, the signing subkey, the encryption subkey.
V5_KEY = "keys/v5-rsa2048-openpgpjs.asc"
V5, V5_SIGN_SUB, V5_ENC_SUB = expected("keys/v5-rsa2048-openpgpjs")


def test_a_v5_key_made_by_openpgp_js_is_accepted_with_its_64_digit_fingerprints():
    data = fixture(V5_KEY)
    assert openpgp.fingerprints(data) == [V5, V5_SIGN_SUB, V5_ENC_SUB]
    key = openpgp.accept_key(data, V5)
    assert (key.fingerprint, key.version, key.subkeys, key.user_ids) == (
        V5, 5, [V5_SIGN_SUB, V5_ENC_SUB], ["v5 test key <v5@dockerops.invalid>"])
    assert key.raw == openpgp.dearmor(data)
    assert openpgp.accept_key(key.armored(), V5.lower()).raw == key.raw


def test_the_v5_key_s_two_octet_lengths_as_openpgp_js_wrote_them():
    raw = openpgp.dearmor(fixture(V5_KEY))
    # New-format headers throughout: key, user ID, certification, subkey, binding (with back-signature), subkey,
    # binding. The first one: tag 6, then the two-octet length 0xC0 0x51 = ((0xC0 - 192) << 8) + 0x51 + 192 = 273.
    assert raw[:3] == bytes([0xC0 | 6, 0xC0, 0x51])
    assert [(tag, len(body)) for tag, body in openpgp.packets(raw)] == [
        (6, 273), (13, 34), (2, 332), (14, 273), (2, 624), (14, 273), (2, 312)]


def test_a_v5_binding_signature_with_a_two_octet_subpacket_names_its_issuer():
    # The signing subkey's binding signature (624 octets) carries the subkey's back-signature as an embedded
    # signature subpacket of 310 octets (a two-octet subpacket length, first octet 192); the issuer fingerprint
    # subpacket (v5: version octet 5, 32 octets) is read past it.
    sigs = [body for tag, body in openpgp.packets(openpgp.dearmor(fixture(V5_KEY))) if tag == 2]
    assert len(sigs[1]) == 624 and bytes([192, 310 - 192]) in sigs[1]
    assert [openpgp._signature_info(body) for body in sigs] == [(0x10, {V5}), (0x18, {V5}), (0x18, {V5})]


def _subpacket(kind, data):
    """A signature subpacket with the length encoding of RFC 9580 5.2.3.7 (one octet, two up to 16319, five)."""
    n = len(data) + 1
    if n < 192:
        head = bytes([n])
    elif n <= 16319:
        head = bytes([((n - 192) >> 8) + 192, (n - 192) & 0xFF])
    else:
        head = bytes([255]) + n.to_bytes(4, "big")
    return head + bytes([kind]) + data


@pytest.mark.parametrize("size", [191, 8383, 8384, 16319, 16320])
def test_signature_subpacket_lengths_past_the_packet_limits(size):
    # Two-octet subpacket lengths go up to first octet 254 (16319), where a packet length of 224..254 is partial.
    notation = _subpacket(20, bytes(size - 1))
    assert len(notation) == size + (1 if size < 192 else 2 if size <= 16319 else 5)
    hashed = notation + _subpacket(33, bytes([4]) + bytes.fromhex(PINNED))
    body = bytes([4, 0x18, 22, 8]) + len(hashed).to_bytes(2, "big") + hashed + bytes([0, 0]) + bytes(2)
    assert openpgp._signature_info(body) == (0x18, {PINNED})


def test_a_v5_subkey_bound_by_the_v5_key_is_refused_under_another_primary():
    pinned = _packets_of("keys/pinned.gpg")
    v5 = _packets_of(V5_KEY)
    # The pinned v4 primary with its user ID and certification, then the v5 key's signing subkey and its binding.
    grafted = [p for p in pinned if p[0] != 14][:3] + v5[3:5]
    with pytest.raises(openpgp.OpenPGPError, match="subkey %s is bound by a signature from another key \\(%s\\)"
                       % (V5_SIGN_SUB, V5)):
        openpgp.accept_key(_enc(grafted), PINNED)


@pytest.mark.parametrize("name, message", [
    # A mirror's own key beside Docker's: apt would trust packages it signs.
    ("keys/pinned-and-other-one-block.asc", "another primary key beside the pinned one: " + OTHER),
    ("keys/pinned-and-other.gpg", "another primary key beside the pinned one: " + OTHER),
    ("keys/pinned-then-other-block.asc", "holds 2 armor blocks"),
    ("keys/pinned-text-then-other.asc", "holds 2 armor blocks"),
    ("keys/text-before-pinned.asc", "has text before its armor block"),
    ("keys/pinned-as-subkey-of-other.asc", "the pinned key %s is only a subkey of primary key %s" % (PINNED, THIRD)),
    ("keys/other-with-subkey.asc", "the key has fingerprint %s, not docker_install_ubuntu_key_fingerprint %s"
     % (OTHER, PINNED)),
])
def test_hostile_key_files_are_refused_naming_what_was_found(name, message):
    data = fixture(name, "rb" if name.endswith(".gpg") else "r")
    with pytest.raises(openpgp.OpenPGPError) as e:
        openpgp.accept_key(data, PINNED, "docker_install_ubuntu_key_fingerprint")
    assert message in str(e.value)


def test_text_after_the_block_is_refused():
    with pytest.raises(openpgp.OpenPGPError, match="has text after its armor block"):
        openpgp.accept_key(fixture("keys/pinned.asc") + "trust me\n", PINNED)


def test_trailing_packets_after_the_key_are_refused():
    raw = fixture("keys/pinned.gpg", "rb")
    # A literal data packet (tag 11) appended: not part of a public key.
    with pytest.raises(openpgp.OpenPGPError, match=r"literal data packet \(tag 11\) \(packet 6\)"):
        openpgp.accept_key(raw + bytes([0xC0 | 11, 3]) + b"abc", PINNED)


def test_a_secret_key_packet_is_refused():
    raw = fixture("keys/pinned.gpg", "rb")
    tag, body = next(openpgp.packets(raw))
    with pytest.raises(openpgp.OpenPGPError, match=r"starts with a secret key packet \(tag 5\)"):
        openpgp.accept_key(bytes([0xC0 | 5, len(body)]) + body + raw[2 + len(body):], PINNED)


def _splice(*parts):
    return b"".join(parts)


def _packets_of(name):
    return [(t, b) for t, b in openpgp.packets(openpgp.dearmor(fixture(name, "rb" if name.endswith(".gpg") else "r")))]


def _enc(packets):
    return b"".join(_five_octet(t, len(b)) + b for t, b in packets)


def test_a_subkey_bound_by_another_key_is_refused():
    pinned = _packets_of("keys/pinned.gpg")
    other = _packets_of("keys/other-with-subkey.asc")
    # The pinned primary with its user ID, then the other key's subkey and its binding signature (issued by OTHER).
    primary_part = [p for p in pinned if p[0] != 14][:3]
    other_sub = other[[t for t, _b in other].index(14):]
    with pytest.raises(openpgp.OpenPGPError, match="bound by a signature from another key .*%s" % OTHER[-16:]):
        openpgp.accept_key(_enc(primary_part + other_sub), PINNED)


def test_a_subkey_without_binding_signature_is_refused():
    pinned = _packets_of("keys/pinned.gpg")
    without_binding = pinned[:-1]
    assert without_binding[-1][0] == 14
    with pytest.raises(openpgp.OpenPGPError, match="subkey %s has no binding signature" % PINNED_SUB):
        openpgp.accept_key(_enc(without_binding), PINNED)


def test_trust_packets_are_dropped():
    pinned = _packets_of("keys/pinned.gpg")
    with_trust = pinned[:2] + [(12, b"\x00\x00")] + pinned[2:]
    assert openpgp.accept_key(_enc(with_trust), PINNED).raw == _enc(pinned)


def test_a_corrupted_armor_checksum_is_refused():
    text = fixture("keys/pinned.asc")
    lines = text.splitlines()
    i = next(n for n, line in enumerate(lines) if line.startswith("="))
    lines[i] = "=AAAA"
    with pytest.raises(openpgp.OpenPGPError, match="fails its checksum"):
        openpgp.accept_key("\n".join(lines) + "\n", PINNED)


def test_crc24_of_a_known_input():
    # The checksum gpg wrote into pinned.asc, over pinned.gpg's bytes.
    line = next(line for line in fixture("keys/pinned.asc").splitlines() if line.startswith("="))
    assert openpgp.crc24(fixture("keys/pinned.gpg", "rb")) == int.from_bytes(base64.b64decode(line[1:]), "big")


def test_a_signature_block_is_not_a_key():
    block = "-----BEGIN PGP SIGNATURE-----\n\n" + base64.b64encode(fixture("keys/pinned.gpg", "rb")).decode() + \
        "\n-----END PGP SIGNATURE-----\n"
    with pytest.raises(openpgp.OpenPGPError, match="holds a PGP SIGNATURE, not a PGP PUBLIC KEY BLOCK"):
        openpgp.accept_key(block, PINNED)


@pytest.mark.parametrize("pin, message", [
    ("0EBFCD88", "is a key ID, not an OpenPGP fingerprint"),
    ("8D81803C0EBFCD88", "is a key ID, not an OpenPGP fingerprint"),
    ("9DC858229FC7DD38854AE2D88D81803C0EBFCD8", "is not an OpenPGP fingerprint"),
])
def test_a_short_pin_is_refused_naming_the_variable(pin, message):
    with pytest.raises(openpgp.OpenPGPError, match="docker_install_centos_key_fingerprint %r %s" % (pin, message)):
        openpgp.accept_key(fixture("keys/pinned.asc"), pin, "docker_install_centos_key_fingerprint")


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


def test_v5_and_v6_fingerprints_are_64_digits():
    assert openpgp.normalize_fingerprint(V6.lower()) == V6


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


def test_partial_body_lengths_are_refused():
    # 224..254 in a new-format length is a partial body length (RFC 9580 4.2.1.4): never in a key.
    with pytest.raises(openpgp.OpenPGPError, match="partial body lengths"):
        list(openpgp.packets(bytes([0xC0 | 13, 224]) + b"x"))


def test_a_truncated_five_octet_length_is_refused():
    with pytest.raises(openpgp.OpenPGPError, match="truncated packet"):
        list(openpgp.packets(bytes([0xC0 | 13, 255, 0, 0])))
