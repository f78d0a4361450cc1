"""Post-mortems: a Document with the incident's own fields (multi-table, like runbooks)."""

from django.db import models

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
