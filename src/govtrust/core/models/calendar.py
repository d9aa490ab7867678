from __future__ import annotations

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class CalendarYear(models.Model):
    """One year's official holiday arrangement as entered by an operator; it wins over the packaged data.

    Written only by `govtrust.core.services.calendar_year_save` (validated, audited, emits
    `calendar.year_entered`). Dates are ISO strings ("2027-01-01") in JSON lists, which both databases store
    the same way.
    """

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    holidays = models.JSONField(_("放假日期"), default=list, help_text=_("通知所列的全部放假日期。"))
    workdays = models.JSONField(_("调休上班日期"), default=list, help_text=_("调休上班的周六、周日。"))
    basis = models.CharField(_("依据"), max_length=500, help_text=_("通知名称及文号。"))
    # A plain id, not a foreign key: core sits below accounts.
    entered_by_pk = models.BigIntegerField(_("录入人编号"), null=True, blank=True)
    entered_by_name = models.CharField(_("录入人"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True, db_index=True)

    class Meta:
        ordering = ["-year"]
        verbose_name = _("节假日安排")
        verbose_name_plural = _("节假日安排")

    def __str__(self) -> str:
        return gettext("%(year)d年节假日安排") % {"year": self.year}
