from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DemoLoad(models.Model):
    """Marks a database as holding the demo data set: which generator version, seed and scale made it."""

    version = models.PositiveIntegerField(_("生成器版本"))
    seed = models.BigIntegerField(_("随机种子"))
    scale = models.CharField(_("规模系数"), max_length=20)
    counts = models.JSONField(_("数量"), default=dict)
    loaded_at = models.DateTimeField(_("载入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("演示数据载入记录")
        verbose_name_plural = _("演示数据载入记录")

    def __str__(self) -> str:
        return f"demo v{self.version} seed={self.seed} scale={self.scale}"
