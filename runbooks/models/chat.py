"""Where a provider's admins send their provider's events: a Matrix room or a JSON webhook,
and each event's delivery there (once, retried by Celery until it lands or gives up)."""

from django.conf import settings
from django.db import models


class ChatTarget(models.Model):
    class Kind(models.TextChoices):
        MATRIX = "matrix", "Matrix room"
        WEBHOOK = "webhook", "JSON webhook"

    # The events an admin may choose to send (each only when the provider's members may read
    # what it is about).
    EVENT_CHOICES = [
        ("published", "published post-mortems and reports"),
        ("comment", "comments"),
        ("stale_fired", "alerts on runbooks due for review"),
    ]

    provider = models.ForeignKey("Provider", on_delete=models.CASCADE, related_name="chat_targets")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    name = models.CharField(max_length=100)
    url = models.URLField(max_length=500)  # the homeserver, or the webhook
    room_id = models.CharField(max_length=255, blank=True)  # Matrix: !abc:example.org
    access_token = models.CharField(max_length=500, blank=True)  # never shown again
    events = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class ChatDelivery(models.Model):
    target = models.ForeignKey(ChatTarget, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey("Event", on_delete=models.CASCADE, related_name="+")
    attempts = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["target", "event"], name="one_delivery_per_event")
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.target_id}"
