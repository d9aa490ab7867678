"""SM2 signatures against GB/T 32918.2-2016 Annex A (the example on its own Fp-256 curve) and round trips."""

from __future__ import annotations

import pytest

from govtrust.core.crypto import (
    SM2_RECOMMENDED,
    Sm2Curve,
    _sm2_sign_with_k,
    sm2_generate_keypair,
    sm2_public_key,
    sm2_sign,
    sm2_verify,
    sm2_z,
    sm3_digest,
)

# GB/T 32918.2-2016 Annex A.2 (same numbers as GM/T 0003.2-2012 A.2): the test curve over Fp-256.
ANNEX_CURVE = Sm2Curve(
    p="8542D69E4C044F18E8B92435BF6FF7DE457283915C45517D722EDB8B08F1DFC3",
    a="787968B4FA32C3FD2417842E73BBFEFF2F3C848B6831D7E0EC65228B3937E498",
    b="63E4C6D3B23B0C849CF84241484BFE48F61D59A5B16BA06E6E12D1DA27C5249A",
    gx="421DEBD61B62EAB6746434EBC3CC315E32220B3BADD50BDC4C4E6C147FEDD43D",
    gy="0680512BCBB42C07D47349D2153B70C4E5D7FDFCBFA36EA1A85841B9E46E09A2",
    n="8542D69E4C044F18E8B92435BF6FF7DD297720630485628D5AE74EE7C32E79B7",
)
ANNEX_ID = "ALICE123@YAHOO.COM"
ANNEX_MESSAGE = b"message digest"
ANNEX_D = "128B2FA8BD433C6C068C8D803DFF79792A519A55171B1B650C23661D15897263"
ANNEX_PUBLIC = (
    "0AE4C7798AA0F119471BEE11825BE46202BB79E2A5844495E97C04FF4DF2548A"
    "7C0240F88F1CD4E16352A73C17B7F16F07353E53A176D684A9FE0C6BB798E857"
)
ANNEX_Z = "F4A38489E32B45B6F876E3AC2168CA392362DC8F23459C1D1146FC3DBFB7BC9A"
ANNEX_E = "B524F552CD82B8B028476E005C377FB19A87E6FC682D48BB5D42E3D9B9EFFE76"
ANNEX_K = "6CB28D99385C175C94F94E934817663FC176D925DD72B727260DBAAE1FB2F96F"
ANNEX_R = "40F1EC59F793D9F49E09DCEF49130D4194F79FB1EED2CAA55BACDB49C4E755D1"
ANNEX_S = "6FC6DAC32C5D5CF10C77DFB20F7C2EB667A457872FB09EC56327A67EC7DEEBE7"


def test_the_annex_a_public_key_follows_from_its_private_key():
    assert sm2_public_key(ANNEX_D, curve=ANNEX_CURVE) == ANNEX_PUBLIC.lower()


def test_z_and_e_match_annex_a():
    z = sm2_z(ANNEX_PUBLIC, signer_id=ANNEX_ID, curve=ANNEX_CURVE)
    assert z.hex().upper() == ANNEX_Z
    assert sm3_digest(z + ANNEX_MESSAGE).hex().upper() == ANNEX_E


def test_signing_with_the_annex_k_gives_the_annex_r_and_s():
    e = bytes.fromhex(ANNEX_E)
    signature = _sm2_sign_with_k(e, ANNEX_D, int(ANNEX_K, 16), curve=ANNEX_CURVE)
    assert signature is not None
    assert signature.upper() == ANNEX_R + ANNEX_S


def test_the_annex_signature_verifies_and_a_changed_message_or_id_does_not():
    signature = ANNEX_R + ANNEX_S
    assert sm2_verify(ANNEX_MESSAGE, signature, ANNEX_PUBLIC, signer_id=ANNEX_ID, curve=ANNEX_CURVE)
    assert sm2_verify(ANNEX_MESSAGE, signature, "04" + ANNEX_PUBLIC, signer_id=ANNEX_ID, curve=ANNEX_CURVE)
    assert not sm2_verify(b"message digesT", signature, ANNEX_PUBLIC, signer_id=ANNEX_ID, curve=ANNEX_CURVE)
    assert not sm2_verify(ANNEX_MESSAGE, signature, ANNEX_PUBLIC, signer_id="BOB@YAHOO.COM", curve=ANNEX_CURVE)


def test_a_fresh_signature_on_the_annex_curve_verifies():
    signature = sm2_sign(ANNEX_MESSAGE, ANNEX_D, signer_id=ANNEX_ID, curve=ANNEX_CURVE)
    assert sm2_verify(ANNEX_MESSAGE, signature, ANNEX_PUBLIC, signer_id=ANNEX_ID, curve=ANNEX_CURVE)


def test_sign_and_verify_round_trip_on_the_recommended_curve():
    private_hex, public_hex = sm2_generate_keypair()
    message = "审计检查点 / audit checkpoint".encode()
    signature = sm2_sign(message, private_hex, signer_id="1234567812345678")
    assert len(signature) == 128
    assert sm2_verify(message, signature, public_hex, signer_id="1234567812345678")
    assert not sm2_verify(message + b"!", signature, public_hex, signer_id="1234567812345678")


def test_the_default_signer_id_comes_from_settings(settings):
    private_hex, public_hex = sm2_generate_keypair()
    settings.GOVTRUST_SM2_SIGNER_ID = "govtrust@example.gov.cn"
    signature = sm2_sign(b"x", private_hex)
    assert sm2_verify(b"x", signature, public_hex, signer_id="govtrust@example.gov.cn")
    assert not sm2_verify(b"x", signature, public_hex, signer_id="1234567812345678")


def test_two_signatures_of_the_same_message_differ_because_k_is_random():
    private_hex, _ = sm2_generate_keypair()
    assert sm2_sign(b"same", private_hex) != sm2_sign(b"same", private_hex)


def test_another_key_does_not_verify():
    private_hex, _ = sm2_generate_keypair()
    _, other_public = sm2_generate_keypair()
    assert not sm2_verify(b"m", sm2_sign(b"m", private_hex), other_public)


@pytest.mark.parametrize(
    "signature",
    [
        "",
        "00" * 64,  # r = s = 0
        "zz" * 64,
        "+1" + "ab" * 63,
        ANNEX_R + ANNEX_S + "00",
        f"{SM2_RECOMMENDED.order:064x}" + "01" * 32,  # r = n is out of range
        "<script>alert(1)</script>",
    ],
)
def test_malformed_signatures_are_rejected_not_raised(signature):
    _, public_hex = sm2_generate_keypair()
    assert sm2_verify(b"m", signature, public_hex) is False


def test_a_public_key_off_the_curve_is_rejected():
    private_hex, public_hex = sm2_generate_keypair()
    signature = sm2_sign(b"m", private_hex)
    off_curve = public_hex[:-1] + ("0" if public_hex[-1] != "0" else "1")
    assert sm2_verify(b"m", signature, off_curve) is False
    assert sm2_verify(b"m", signature, "'; DROP TABLE x; --") is False


@pytest.mark.parametrize("bad", ["", "0", "xyz", "1_0", f"{SM2_RECOMMENDED.order - 1:x}", "f" * 65])
def test_out_of_range_or_malformed_private_keys_are_refused(bad):
    with pytest.raises(ValueError):
        sm2_sign(b"m", bad)


def test_a_generated_key_is_written_once_with_private_permissions(settings, tmp_path):
    from govtrust.core.crypto import sm2_signing_key

    settings.VAR_DIR = tmp_path
    settings.GOVTRUST_SM2_PRIVATE_KEY = ""
    first = sm2_signing_key()
    assert sm2_signing_key() == first
    key_file = tmp_path / "keys" / "audit-sm2.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "keys" / "audit-sm2.pub").read_text().strip() == first[1]
    assert sm2_verify(b"m", sm2_sign(b"m", first[0]), first[1])


def test_a_configured_private_key_wins_over_the_key_file(settings, tmp_path):
    from govtrust.core.crypto import sm2_signing_key

    settings.VAR_DIR = tmp_path
    private_hex, public_hex = sm2_generate_keypair()
    settings.GOVTRUST_SM2_PRIVATE_KEY = private_hex.upper()
    assert sm2_signing_key() == (private_hex, public_hex)
    assert not (tmp_path / "keys").exists()
