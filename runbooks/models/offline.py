"""A user's offline copy of what they may read (issue 21): one per user, built by a worker.

The zip is kept in the database, not on a disk of one instance: web instances stay stateless
and any of them serves the download (a copy is a few MB and expires within a day)."""

from django.conf import settings
from django.db import models


class OfflineCopy(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", "waiting for a worker"
        BUILDING = "building", "being built"
        READY = "ready", "ready"
        FAILED = "failed", "failed"

    # One per user: asking for a new copy replaces the old one.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="offline_copy"
    )
    # In the download link: a link to an older copy stops working when it is replaced.
    key = models.CharField(max_length=43, unique=True)
    provider = models.ForeignKey(
        "Provider", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    requested_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    archive = models.BinaryField(null=True, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)  # documents by kind, routes, tags
    error = models.CharField(max_length=300, blank=True)
    base_url = models.CharField(max_length=300, blank=True)  # for the "open online" links

    class Meta:
        verbose_name_plural = "offline copies"

    def __str__(self) -> str:
        return f"offline copy for {self.user} ({self.state})"

    @property
    def percent(self) -> int:
        return 100 * self.done // self.total if self.total else 0
