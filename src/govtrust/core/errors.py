"""Field-keyed validation errors that services collect and raise together.

Services check every field, collect all problems, then raise one `ValidationError` keyed by field, so a form,
the API and the CLI can show every message at once and nothing is stored half-way.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

ErrorDict = dict[str, list[ValidationError]]


def add_error(errors: ErrorDict, field: str, message: str, code: str = "invalid") -> None:
    errors.setdefault(field, []).append(ValidationError(message, code=code))


def raise_if_errors(errors: ErrorDict) -> None:
    if errors:
        raise ValidationError(errors)  # type: ignore[arg-type]
