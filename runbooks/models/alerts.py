"""Alert routes (alert name + label matchers → runbook) and alerts that found no runbook."""

from django.conf import settings
from django.db import models

from .documents import Document
from .providers import Provider


class AlertRoute(models.Model):
    """Sends alerts with this name (and matching labels) to a runbook (DESIGN §3, §4).

    A route scoped to a provider applies to that provider's alerts only; a community route
    (no provider) applies to everyone's. `alertname_key` is the case-folded name, indexed so
    that resolution costs the same with ten routes or a hundred thousand.
    """

    alertname = models.CharField(max_length=200)
    alertname_key = models.CharField(max_length=200, editable=False)
    matchers = models.JSONField(default=list, blank=True)
    provider = models.ForeignKey(
        Provider, null=True, blank=True, on_delete=models.CASCADE, related_name="alert_routes"
    )
    priority = models.IntegerField(default=0)
    runbook = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="alert_routes")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["alertname_key", "provider"])]
        ordering = ["alertname_key", "-priority", "pk"]

    def __str__(self) -> str:
        scope = self.provider.slug if self.provider_id else "community"
        return f"{self.alertname} ({scope}) → {self.runbook_id}"


class RunbookMiss(models.Model):
    """An alert name that found no runbook, counted per provider (None: no provider known)."""

    alertname = models.CharField(max_length=200)
    alertname_key = models.CharField(max_length=200)
    provider = models.ForeignKey(
        Provider, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    count = models.PositiveIntegerField(default=0)
    first_seen = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["alertname_key", "provider"],
                name="one_miss_row_per_name_and_provider",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return f"{self.alertname} ×{self.count}"
