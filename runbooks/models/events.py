"""What happened to documents, written by the services in the transaction of the change: the
outbox that notifications are made from (a Celery task fans each event out once), and the
record `/changes/` and the feeds read."""

from django.conf import settings
from django.db import models

from .documents import Document


class Event(models.Model):
    class Kind(models.TextChoices):
        REVISION = "revision", "changed"
        PUBLISHED = "published", "published"
        REVIEW_REQUESTED = "review_requested", "asks you to review"
        COMMENT = "comment", "commented on"
        ACTION_ASSIGNED = "action_assigned", "assigned an action item of"
        ACTION_OVERDUE = "action_overdue", "has an overdue action item"
        STALE_FIRED = "stale_fired", "fired while due for review:"
        REVIEWED = "reviewed", "reviewed"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revision = models.ForeignKey(
        "Revision", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    comment = models.ForeignKey(
        "Comment", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    action_item = models.ForeignKey(
        "ActionItem", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # The provider an event concerns when it is not the document's (the one whose alert fired).
    provider = models.ForeignKey(
        "Provider", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # Events that must happen once per something (an overdue item per day, a stale runbook that
    # fired per day) carry a key; the database refuses the second.
    key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    fanned_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["fanned_out_at", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.document_id}"
