"""Counters that every web worker and instance shares (DESIGN §2): rate limits."""

from django.db import models


class RateCounter(models.Model):
    """Requests counted for one key (e.g. a webhook token) in one fixed one-minute window.

    Kept in the database when no shared cache is configured, so that two gunicorn workers do
    not each allow the full rate. Old windows are deleted by the periodic sweep.
    """

    key = models.CharField(max_length=200)
    window = models.BigIntegerField(help_text="Minutes since the epoch.")
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "window"], name="one_counter_per_window")
        ]

    def __str__(self) -> str:
        return f"{self.key} @ {self.window}: {self.count}"
