"""Form fields shared by every app: USCC and resident ID number with our validators and Chinese messages.

Both normalise the input (upper case, no spaces/hyphens, full-width → ASCII) and raise ValidationError with the
validator's reason when the code is invalid. A `legacy` code is accepted (unless `allow_legacy=False`) and the
field keeps the result: `form.fields["uscc"].check` (a CodeCheck) and `.warning` (the reason, "" when valid), so
the view can store the status and show the warning.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govtrust.core.codes import validate_id_number, validate_uscc
from govtrust.core.validators import CodeCheck, normalise_code


class _CodeField(forms.CharField):
    def __init__(self, *, allow_legacy: bool = True, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 32)  # room for separators typed by hand; normalised to 18
        super().__init__(**kwargs)
        self.allow_legacy = allow_legacy
        self.check: CodeCheck | None = None

    @property
    def warning(self) -> str:
        return self.check.reason if self.check and self.check.status == "legacy" else ""

    def run(self, value: str) -> CodeCheck:
        raise NotImplementedError

    def to_python(self, value: Any) -> str:
        return normalise_code(super().to_python(value) or "")

    def validate(self, value: str) -> None:
        super().validate(value)
        self.check = None
        if value in self.empty_values:
            return
        self.check = self.run(value)
        if self.check.status == "invalid":
            raise ValidationError(self.check.reason, code="invalid")
        if self.check.status == "legacy" and not self.allow_legacy:
            raise ValidationError(_("不接受历史代码：%(reason)s") % {"reason": self.check.reason}, code="legacy")


class UsccFormField(_CodeField):
    """统一社会信用代码 (GB 32100), with the operator-maintained list of legacy codes."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", gettext_lazy("统一社会信用代码"))
        super().__init__(**kwargs)

    def run(self, value: str) -> CodeCheck:
        return validate_uscc(value)


class IdNumberFormField(_CodeField):
    """居民身份证号码 (GB 11643); a 15-digit first-generation number is `legacy`."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", gettext_lazy("居民身份证号码"))
        super().__init__(**kwargs)

    def run(self, value: str) -> CodeCheck:
        return validate_id_number(value)
