"""商用密码 primitives used across the platform: SM3 hashing, HMAC-SM3 look-up hashes, SM4 at rest.

SM2 signatures (audit checkpoints) live here too once the audit work adds them. Keys come from
settings (env or *_FILE); in development they are derived from SECRET_KEY so a fresh clone works.
"""

from __future__ import annotations

import base64
import os
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings

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
