"""Who watches what, what each person was told, and how they like to be told."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from .documents import Document, Tag
from .events import Event


class Subscription(models.Model):
    """A user watching one document, one tag or one provider."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subscriptions"
    )
    document = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.CASCADE, related_name="subscriptions"
    )
    tag = models.ForeignKey(
        Tag, null=True, blank=True, on_delete=models.CASCADE, related_name="subscriptions"
    )
    provider = models.ForeignKey(
        "Provider", null=True, blank=True, on_delete=models.CASCADE, related_name="subscriptions"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(document__isnull=False, tag=None, provider=None)
                    | Q(document=None, tag__isnull=False, provider=None)
                    | Q(document=None, tag=None, provider__isnull=False)
                ),
                name="subscription_has_one_target",
            ),
            models.UniqueConstraint(fields=["user", "document"], name="one_watch_per_document"),
            models.UniqueConstraint(fields=["user", "tag"], name="one_watch_per_tag"),
            models.UniqueConstraint(fields=["user", "provider"], name="one_watch_per_provider"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} watches {self.document_id or self.tag_id or self.provider_id}"


class Notification(models.Model):
    """One event, told to one person: listed at /notifications/, mailed at most once."""

    class Reason(models.TextChoices):
        WATCHING = "watching", "you watch it"
        MENTIONED = "mentioned", "you were mentioned"
        REPLIED = "replied", "a reply to your comment"
        ASSIGNED = "assigned", "assigned to you"
        EDITOR = "editor", "you edit its provider's runbooks"
        COLLEAGUE = "colleague", "a colleague asks for your review"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="notifications")
    reason = models.CharField(max_length=12, choices=Reason.choices)
    excerpt = models.TextField(blank=True)  # plain text: a comment's start, a short diff
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    mailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "event"], name="told_once_per_event")
        ]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return f"{self.event} → {self.recipient_id}"


class MailPreference(models.Model):
    class Mode(models.TextChoices):
        IMMEDIATE = "immediate", "Each notification as it happens"
        DAILY = "daily", "One digest a day"
        OFF = "off", "No mail (only /notifications/)"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mail_preference"
    )
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.IMMEDIATE)
    last_digest_at = models.DateTimeField(null=True, blank=True)
    last_stale_digest_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user_id}: {self.mode}"
