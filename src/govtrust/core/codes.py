"""Code validation against the database: the operator-maintained list of known legacy USCCs.

`validate_uscc` is what forms, the API and the CLI call; `validators.check_uscc` is the pure algorithm.
The list is read through Django's cache, so a call costs no query. `legacy_code_add` / `legacy_code_remove`
clear it; with the default per-process cache, other processes pick a change up within
`LEGACY_CODES_CACHE_SECONDS` (configure a shared cache in CACHES to make it immediate everywhere).
"""

from __future__ import annotations

from django.core.cache import cache
from django.db import transaction

from govtrust.core.validators import CodeCheck, check_id_number, check_uscc

LEGACY_CODES_CACHE_KEY = "govtrust:core:known-legacy-codes"
LEGACY_CODES_CACHE_SECONDS = 60


def known_legacy_codes() -> frozenset[str]:
    """USCCs that fail the checksum but are real early pilot codes (operator-maintained)."""
    codes = cache.get(LEGACY_CODES_CACHE_KEY)
    if codes is None:
        from govtrust.core.models import KnownLegacyCode

        codes = frozenset(KnownLegacyCode.objects.values_list("code", flat=True))
        cache.set(LEGACY_CODES_CACHE_KEY, codes, LEGACY_CODES_CACHE_SECONDS)
    return codes


def forget_legacy_codes() -> None:
    """Drop the cached list now and again after commit (a read in between may have cached the old list)."""
    cache.delete(LEGACY_CODES_CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(LEGACY_CODES_CACHE_KEY))


def validate_uscc(code: str) -> CodeCheck:
    return check_uscc(code, legacy_codes=known_legacy_codes())


def validate_id_number(number: str) -> CodeCheck:
    return check_id_number(number)
