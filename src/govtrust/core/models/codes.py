from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class KnownLegacyCode(models.Model):
    """A real USCC that fails a check digit (early pilot codes); validation reports it as `legacy`.

    Maintained by operators through `legacy_code_add` / `legacy_code_remove`, read through
    `govtrust.core.codes.known_legacy_codes()` (cached).
    """

    code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    note = models.CharField(_("说明"), max_length=500)
    # Plain id and frozen name, not a foreign key: core sits below accounts.
    added_by_pk = models.BigIntegerField(_("登记人编号"), null=True, blank=True)
    added_by_name = models.CharField(_("登记人"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("已知历史统一社会信用代码")
        verbose_name_plural = _("已知历史统一社会信用代码")

    def __str__(self) -> str:
        return self.code
