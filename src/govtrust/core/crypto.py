"""商用密码 primitives used across the platform: SM3 hashing, HMAC-SM3 look-up hashes, SM4 at rest,
SM2 signatures (GB/T 32918.2, used for audit checkpoints).

Keys come from settings (env or *_FILE); in development the SM4 / look-up keys are derived from
SECRET_KEY so a fresh clone works, and the SM2 key is generated once into VAR_DIR/keys/.
"""

from __future__ import annotations

import base64
import os
import secrets
import string
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings
from gmssl.sm2 import CryptSM2

_SM4_VERSION = b"\x01"  # prefix of every ciphertext, so the scheme can change without ambiguity


def sm3_digest(data: bytes) -> bytes:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize()


def sm3_hex(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return sm3_digest(data).hex()


def _derived_key(purpose: str, length: int) -> bytes:
    return sm3_digest(f"govtrust:{purpose}:{settings.SECRET_KEY}".encode())[:length]


@lru_cache(maxsize=4)
def _key(setting_value: str, purpose: str, length: int) -> bytes:
    if setting_value:
        key = bytes.fromhex(setting_value)
        if len(key) != length:
            raise ValueError(f"{purpose} key must be {length} bytes of hex")
        return key
    return _derived_key(purpose, length)


def sm4_key() -> bytes:
    return _key(settings.GOVTRUST_SM4_KEY, "sm4", 16)


def lookup_hash_key() -> bytes:
    return _key(settings.GOVTRUST_LOOKUP_HASH_KEY, "lookup-hash", 32)


def keyed_hash(value: str) -> str:
    """HMAC-SM3 of a normalised value: lets us find a row by ID number without storing it in clear."""
    mac = crypto_hmac.HMAC(lookup_hash_key(), hashes.SM3())
    mac.update(value.strip().upper().encode("utf-8"))
    return mac.finalize().hex()


def sm4_encrypt(plaintext: str) -> str:
    """SM4-GCM with a random 96-bit nonce (authenticated); returns URL-safe base64 text."""
    nonce = os.urandom(12)
    encryptor = Cipher(algorithms.SM4(sm4_key()), modes.GCM(nonce)).encryptor()
    ciphertext = encryptor.update(plaintext.encode("utf-8")) + encryptor.finalize()
    return base64.urlsafe_b64encode(_SM4_VERSION + nonce + encryptor.tag + ciphertext).decode("ascii")


def sm4_decrypt(token: str) -> str:
    raw = base64.urlsafe_b64decode(token.encode("ascii"))
    if raw[:1] != _SM4_VERSION:
        raise ValueError("unknown ciphertext version")
    nonce, tag, ciphertext = raw[1:13], raw[13:29], raw[29:]
    decryptor = Cipher(algorithms.SM4(sm4_key()), modes.GCM(nonce, tag)).decryptor()
    # finalize() raises InvalidTag when the ciphertext or key is wrong.
    return (decryptor.update(ciphertext) + decryptor.finalize()).decode("utf-8")


# --- SM2 signatures (GB/T 32918.2-2016) ---------------------------------------------------------
# gmssl does the elliptic-curve arithmetic through `CryptSM2.sign(e, k)` / `.verify(sig, e)`. We never
# call its `sign_with_sm3`: that draws k from `random` (predictable: a known k reveals the private
# key) and hard-codes the signer ID. We compute Z and e = SM3(Z || M) ourselves and draw k from
# `secrets`.


@dataclass(frozen=True)
class Sm2Curve:
    """Curve parameters as upper-case hex strings of 32 bytes each (gmssl's `ecc_table` layout)."""

    p: str
    a: str
    b: str
    gx: str
    gy: str
    n: str

    @property
    def ecc_table(self) -> dict[str, str]:
        return {"p": self.p, "a": self.a, "b": self.b, "g": self.gx + self.gy, "n": self.n}

    @property
    def order(self) -> int:
        return int(self.n, 16)


# The recommended curve of GB/T 32918.5-2017 (the one every SM2 key in production uses).
SM2_RECOMMENDED = Sm2Curve(
    p="FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF",
    a="FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC",
    b="28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93",
    gx="32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7",
    gy="BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0",
    n="FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123",
)


def _signer_id(signer_id: str | None) -> bytes:
    raw = (settings.GOVTRUST_SM2_SIGNER_ID if signer_id is None else signer_id).encode("utf-8")
    if len(raw) * 8 > 0xFFFF:  # ENTL is two bytes of *bits*
        raise ValueError("SM2 signer ID is too long")
    return raw


def _parse_private_key(private_key_hex: str, curve: Sm2Curve) -> int:
    text = private_key_hex.strip()
    if not text or len(text) > 64 or not _is_hex(text):
        raise ValueError("SM2 private key must be up to 32 bytes of hex")
    d = int(text, 16)
    # GB/T 32918.1 6.1: d ∈ [1, n-2] (d = n-1 would make (1+d) non-invertible).
    if not 1 <= d <= curve.order - 2:
        raise ValueError("SM2 private key out of range")
    return d


def _is_hex(text: str) -> bool:
    # Stricter than int(text, 16), which also takes whitespace, signs and underscores.
    return all(c in string.hexdigits for c in text)


def _parse_public_key(public_key_hex: str, curve: Sm2Curve) -> tuple[int, int]:
    """x||y as 128 hex digits (an uncompressed-point `04` prefix is accepted); must lie on the curve."""
    text = public_key_hex.strip()
    if len(text) == 130 and text[:2] == "04":
        text = text[2:]
    if len(text) != 128 or not _is_hex(text):
        raise ValueError("SM2 public key must be 64 bytes of hex (x||y)")
    x, y = int(text[:64], 16), int(text[64:], 16)
    p = int(curve.p, 16)
    if not (0 <= x < p and 0 <= y < p) or (y * y - (x * x * x + int(curve.a, 16) * x + int(curve.b, 16))) % p:
        raise ValueError("SM2 public key is not a point on the curve")
    return x, y


def _engine(curve: Sm2Curve, *, private_key: str = "", public_key: str = "") -> CryptSM2:
    engine = CryptSM2(private_key=private_key, public_key="", ecc_table=curve.ecc_table)
    # Set after construction: gmssl's constructor strips a "04" prefix with str.lstrip, which also eats
    # the leading digits of an x coordinate that happens to start with 0 or 4.
    engine.public_key = public_key
    return engine


def sm2_public_key(private_key_hex: str, *, curve: Sm2Curve = SM2_RECOMMENDED) -> str:
    """The public key [d]G of a private key, as x||y (128 lower-case hex digits)."""
    d = _parse_private_key(private_key_hex, curve)
    point = _engine(curve)._kg(d, curve.ecc_table["g"])
    return str(point).lower()


def sm2_generate_keypair(*, curve: Sm2Curve = SM2_RECOMMENDED) -> tuple[str, str]:
    """A fresh key pair from the OS's CSPRNG: (private key hex, public key x||y hex)."""
    d = secrets.randbelow(curve.order - 2) + 1
    private_hex = f"{d:064x}"
    return private_hex, sm2_public_key(private_hex, curve=curve)


def sm2_z(public_key_hex: str, *, signer_id: str | None = None, curve: Sm2Curve = SM2_RECOMMENDED) -> bytes:
    """Z_A = SM3(ENTL_A || ID_A || a || b || x_G || y_G || x_A || y_A)  (GB/T 32918.2 5.5)."""
    ident = _signer_id(signer_id)
    x, y = _parse_public_key(public_key_hex, curve)
    return sm3_digest(
        (len(ident) * 8).to_bytes(2, "big")
        + ident
        + bytes.fromhex(curve.a)
        + bytes.fromhex(curve.b)
        + bytes.fromhex(curve.gx)
        + bytes.fromhex(curve.gy)
        + x.to_bytes(32, "big")
        + y.to_bytes(32, "big")
    )


def _sm2_sign_with_k(e: bytes, private_key_hex: str, k: int, *, curve: Sm2Curve) -> str | None:
    """The bare signing step on digest e with a given k; None when this k must be discarded (r=0, r+k=n, s=0).

    Separate only so that the standard's known-answer test can supply its k; everything else must
    go through `sm2_sign`, which draws k from `secrets`.
    """
    result = _engine(curve, private_key=private_key_hex).sign(e, f"{k:064x}")
    return str(result) if result is not None else None


def sm2_sign(
    data: bytes, private_key_hex: str, *, signer_id: str | None = None, curve: Sm2Curve = SM2_RECOMMENDED
) -> str:
    """SM2 signature of `data` (SM3 with Z per GB/T 32918.2): r||s as 128 lower-case hex digits.

    `signer_id` defaults to settings.GOVTRUST_SM2_SIGNER_ID.
    """
    _parse_private_key(private_key_hex, curve)
    public_hex = sm2_public_key(private_key_hex, curve=curve)
    e = sm3_digest(sm2_z(public_hex, signer_id=signer_id, curve=curve) + data)
    while True:
        k = secrets.randbelow(curve.order - 1) + 1
        signature = _sm2_sign_with_k(e, private_key_hex, k, curve=curve)
        if signature is not None:
            return signature


def sm2_verify(
    data: bytes,
    signature_hex: str,
    public_key_hex: str,
    *,
    signer_id: str | None = None,
    curve: Sm2Curve = SM2_RECOMMENDED,
) -> bool:
    """True when `signature_hex` (r||s) is a valid SM2 signature of `data` by `public_key_hex`."""
    try:
        x, y = _parse_public_key(public_key_hex, curve)
    except ValueError:
        return False
    if len(signature_hex) != 128 or not _is_hex(signature_hex):
        return False
    r, s = int(signature_hex[:64], 16), int(signature_hex[64:], 16)
    # GB/T 32918.2 7.1 B1/B2: r, s ∈ [1, n-1]; gmssl does not check this itself.
    if not (1 <= r < curve.order and 1 <= s < curve.order):
        return False
    public_hex = f"{x:064x}{y:064x}"
    e = sm3_digest(sm2_z(public_hex, signer_id=signer_id, curve=curve) + data)
    try:
        return bool(_engine(curve, public_key=public_hex).verify(signature_hex, e))
    except (TypeError, ValueError):  # gmssl fails this way on degenerate points (sum at infinity)
        return False


def sm2_signing_key() -> tuple[str, str]:
    """The platform's SM2 key pair (private hex, public hex) for audit checkpoints.

    settings.GOVTRUST_SM2_PRIVATE_KEY (or its *_FILE) wins; otherwise a key generated once into
    VAR_DIR/keys/audit-sm2.key (mode 0600) with audit-sm2.pub beside it.
    """
    if settings.GOVTRUST_SM2_PRIVATE_KEY:
        private_hex = settings.GOVTRUST_SM2_PRIVATE_KEY.strip().lower()
        return private_hex, sm2_public_key(private_hex)
    key_dir = Path(settings.VAR_DIR) / "keys"
    key_path = key_dir / "audit-sm2.key"
    if not key_path.exists():
        key_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        private_hex, public_hex = sm2_generate_keypair()
        # Write a private temporary file, then link it into place: link fails if another process
        # won the race, and nobody ever reads a half-written key.
        tmp = key_dir / f".audit-sm2.key.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, (private_hex + "\n").encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, key_path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    private_hex = key_path.read_text(encoding="ascii").strip()
    public_hex = sm2_public_key(private_hex)
    pub_path = key_dir / "audit-sm2.pub"
    if not pub_path.exists() or pub_path.read_text(encoding="ascii").strip() != public_hex:
        pub_path.write_text(public_hex + "\n", encoding="ascii")
    return private_hex, public_hex
