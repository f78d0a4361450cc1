"""Post-mortems: a Document with the incident's own fields (multi-table, like runbooks)."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from runbooks.inputs import validate_http_url

from .documents import Document, DocumentQuerySet


class Severity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    MAJOR = "major", "Major"
    MINOR = "minor", "Minor"


class Postmortem(Document):
    """What happened, when, how bad, and what it touched. The narrative (summary, timeline,
    root cause, lessons) is the Markdown of its revisions; these fields are structured so that
    lists can filter and pages can compute (duration)."""

    incident_start = models.DateTimeField(null=True, blank=True)
    incident_end = models.DateTimeField(null=True, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, blank=True)
    affected_services = models.JSONField(default=list, blank=True)
    alerts = models.ManyToManyField("Alert", blank=True, related_name="postmortems")
    # The status-page incident this post-mortem explains (SCS status-page-openapi: an incident
    # has an id and a page of its own).
    status_incident_id = models.CharField(max_length=100, blank=True)
    status_incident_url = models.URLField(
        max_length=2000, blank=True, validators=[validate_http_url]
    )

    objects = DocumentQuerySet.as_manager()

    @property
    def duration(self):
        if self.incident_start and self.incident_end:
            return self.incident_end - self.incident_start
        return None

    @property
    def duration_text(self) -> str:
        """ "2 h 30 min", "45 min", "3 d 4 h" — for pages."""
        if self.duration is None:
            return ""
        minutes = int(self.duration.total_seconds() // 60)
        days, minutes = divmod(minutes, 24 * 60)
        hours, minutes = divmod(minutes, 60)
        parts = [f"{days} d"] * bool(days) + [f"{hours} h"] * bool(hours)
        return " ".join(parts + [f"{minutes} min"] * (bool(minutes) or not parts))


class ActionItem(models.Model):
    """Something a post-mortem decided to do. Lives outside the revision history: its status
    changes as the work gets done, without new revisions of the text."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        DROPPED = "dropped", "Dropped"

    postmortem = models.ForeignKey(
        Postmortem, on_delete=models.CASCADE, related_name="action_items"
    )
    title = models.CharField(max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="action_items",
    )
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    tracker_url = models.URLField(blank=True, max_length=2000, validators=[validate_http_url])
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["status", "due_date", "pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def overdue(self) -> bool:
        return (
            self.status == self.Status.OPEN
            and self.due_date is not None
            and self.due_date < timezone.localdate()
        )


class RunbookUse(models.Model):
    """A runbook the incident's responders used, pinned to the revision they read, and how it
    served them. Runbook pages count these as feedback."""

    class Verdict(models.TextChoices):
        HELPED = "helped", "helped"
        OUTDATED = "outdated", "outdated"
        WRONG = "wrong", "wrong"

    postmortem = models.ForeignKey(
        Postmortem, on_delete=models.CASCADE, related_name="runbook_uses"
    )
    runbook = models.ForeignKey("Runbook", on_delete=models.CASCADE, related_name="uses")
    revision = models.ForeignKey("Revision", on_delete=models.PROTECT, related_name="+")
    # Blank: not judged yet (a post-mortem started from an alert pins the runbook it opened;
    # the author judges it).
    verdict = models.CharField(max_length=10, choices=Verdict.choices, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["postmortem", "runbook"], name="one_use_per_runbook")
        ]
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.runbook_id} r{self.revision_id}: {self.verdict}"
