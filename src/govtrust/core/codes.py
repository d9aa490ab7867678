"""Code validation against the database: the operator-maintained list of known legacy USCCs.

`validate_uscc` is what forms, the API and the CLI call; `validators.check_uscc` is the pure algorithm.
"""

from __future__ import annotations

from govtrust.core.validators import CodeCheck, check_uscc


def known_legacy_codes() -> frozenset[str]:
    """USCCs that fail the checksum but are real early pilot codes (operator-maintained)."""
    return frozenset()  # filled from the KnownLegacyCode table


def validate_uscc(code: str) -> CodeCheck:
    return check_uscc(code, legacy_codes=known_legacy_codes())
