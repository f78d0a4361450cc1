"""Runbooks: documents with a component and a review cycle, and where imported ones came from.

A runbook is a Document (multi-table inheritance): the shared columns live on Document, the
runbook's own in this table, joined by the document's id. Post-mortems and reports get their
own tables the same way, without touching this one.
"""

from datetime import timedelta

from django.db import models
from django.utils import timezone

from .documents import Document, DocumentQuerySet


class RunbookQuerySet(DocumentQuerySet):
    def stale(self, value: bool = True) -> "RunbookQuerySet":
        """Runbooks whose review is overdue (or, with False, not overdue)."""
        now = timezone.now()
        return self.filter(review_due_at__lt=now) if value else self.filter(review_due_at__gte=now)


CRITICAL_REVIEW_DAYS = 90  # the longest review interval of a runbook critical alerts open


class Runbook(Document):
    """A runbook. review_due_at is derived (reviewed_at + interval) and kept by the services,
    so that "stale" is an indexable comparison."""

    component = models.CharField(max_length=100, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_interval_days = models.PositiveIntegerField(default=180)
    review_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Where an imported runbook came from (import_runbooks / export_runbooks): the file's name
    # without `.md`, and its front matter kept verbatim (not rendered, not revisioned).
    source_name = models.CharField(max_length=200, blank=True)
    front_matter = models.TextField(blank=True)
    # How many post-mortems name this runbook (any status): lets the read page skip asking for
    # feedback when there is none; what a reader may see is still asked when there is.
    incident_uses = models.PositiveIntegerField(default=0)
    # When an alert with severity=critical first opened it: its review interval is capped then.
    critical_since = models.DateTimeField(null=True, blank=True)
    # Which alert label fills which placeholder of its commands, where the names differ
    # (`{"OSD": "ceph_daemon"}`); checked by runbooks.placeholders.checked_mapping.
    placeholder_labels = models.JSONField(default=dict, blank=True)

    objects = RunbookQuerySet.as_manager()

    @property
    def stale(self) -> bool:
        return self.review_due_at is not None and self.review_due_at < timezone.now()

    @property
    def review_age_days(self) -> int | None:
        if self.reviewed_at is None:
            return None
        return (timezone.now() - self.reviewed_at).days

    def compute_review_due(self):
        if self.reviewed_at is None:
            return None
        return self.reviewed_at + timedelta(days=self.review_interval_days)
