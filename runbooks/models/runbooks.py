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


class ReviewReason(models.TextChoices):
    """Why a runbook's review is due: its interval ran out (the default), or a post-mortem's
    verdict or a failed experience report on its current revision made it due at once."""

    TIME = "", "its review interval ran out"
    VERDICT = "verdict", "a post-mortem judged it outdated or wrong"
    REPORT = "report", "an experience report says it failed"


class Runbook(Document):
    """A runbook. review_due_at is derived (reviewed_at + interval) and kept by the services,
    so that "stale" is an indexable comparison."""

    component = models.CharField(max_length=100, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_interval_days = models.PositiveIntegerField(default=180)
    review_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # What made the review due before its interval ran out (the post-mortem or the report);
    # only a review clears it (an alert or a change of interval never does).
    review_due_reason = models.CharField(
        max_length=10, blank=True, choices=ReviewReason.choices, default=ReviewReason.TIME
    )
    review_due_source = models.ForeignKey(
        "Document", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
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
        """When time alone makes the review due: the last review plus the interval."""
        if self.reviewed_at is None:
            return None
        return self.reviewed_at + timedelta(days=self.review_interval_days)

    def reschedule_review(self) -> list[str]:
        """After a review or a change of interval: due when time says — unless a verdict or a
        failed report made it due earlier and nobody has reviewed it since. The fields set."""
        by_time = self.compute_review_due()
        if self.review_due_reason != ReviewReason.TIME and self.review_due_at is not None:
            if by_time is None or by_time >= self.review_due_at:
                return []
            self.review_due_at = by_time  # nearer still, for the same reason
            return ["review_due_at"]
        self.review_due_at = by_time
        self.review_due_reason, self.review_due_source = ReviewReason.TIME, None
        return ["review_due_at", "review_due_reason", "review_due_source"]
