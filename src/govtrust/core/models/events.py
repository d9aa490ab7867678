from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxEvent(models.Model):
    """A domain event written inside the transaction that caused it, delivered to subscribers after commit.

    Delivery is at-least-once: the worker re-sends events whose delivery did not finish, so every
    subscriber must be idempotent (key its effect on `event.pk`).
    """

    name = models.CharField(_("事件"), max_length=100, db_index=True)
    payload = models.JSONField(_("内容"), default=dict)
    created_at = models.DateTimeField(_("产生时间"), auto_now_add=True, db_index=True)
    delivered_at = models.DateTimeField(_("投递时间"), null=True, blank=True, db_index=True)
    # Claim token: set by a conditional UPDATE so two deliverers never run the same event at once.
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("领域事件")
        verbose_name_plural = _("领域事件")

    def __str__(self) -> str:
        return f"{self.name}#{self.pk}"
