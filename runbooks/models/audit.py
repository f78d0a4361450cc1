"""The audit log: who did what, when, from where (issue 19). Append-only from the application
(but for the count of a refused read's entry, which grows through its hour); only the
retention sweep (`runbooks.audit.prune`) removes entries, by age."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class AppendOnly(Exception):
    """An audit entry was asked to change or go: the application never does that."""


class AuditEntry(models.Model):
    class Action(models.TextChoices):
        SIGNED_IN = "signed_in", "signed in"
        SIGNIN_FAILED = "signin_failed", "failed to sign in as"
        SIGNED_OUT = "signed_out", "signed out"
        TOKEN_CREATED = "token_created", "created a token"
        TOKEN_REVOKED = "token_revoked", "revoked a token"
        ROLE_CHANGED = "role_changed", "changed a role"
        PUBLISHED = "published", "published"
        VISIBILITY_CHANGED = "visibility_changed", "changed who may see"
        DELETED = "deleted", "deleted"
        ROUTE_CHANGED = "route_changed", "changed an alert route of"
        ACCESS_REFUSED = "access_refused", "was refused"
        OFFLINE_COPY = "offline_copy", "made"

    class Via(models.TextChoices):
        WEB = "web", "pages"
        API = "api", "API"
        COMMAND = "command", "command"
        SYSTEM = "system", "system"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    action = models.CharField(max_length=32, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who, in words, as it was then: a username, "command <name>", "system", or for a failed
    # sign-in the username that was tried.
    actor_name = models.CharField(max_length=150)
    via = models.CharField(max_length=16, choices=Via.choices)
    address = models.GenericIPAddressField(null=True, blank=True)
    # Whose event it is: the document's, the membership's or the token's provider.
    provider = models.ForeignKey(
        "Provider", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    document = models.ForeignKey(
        "Document", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    target = models.CharField(max_length=300, blank=True)  # what it was done to, in words
    # The target names a document only its provider may see: withheld from others' views.
    private = models.BooleanField(default=False)
    detail = models.JSONField(default=dict, blank=True)
    # Refused reads are counted, not written one by one (issue 30): one entry per reader,
    # document and hour, keyed by `counter_key`, whose `count` grows; `at`, `address` and `via`
    # are the hour's first refusal's. Every other entry is one event (count 1, no key).
    count = models.PositiveIntegerField(default=1)
    counter_key = models.CharField(max_length=100, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["provider", "at"]),
            models.Index(fields=["action", "at"]),
        ]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.get_action_display()}"

    def save(self, *args, **kwargs):
        if self.pk is not None:  # (a counted entry's count moves by an UPDATE, never by save)
            raise AppendOnly("Audit entries are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("Audit entries are removed only by age (OPENOPS_AUDIT_DAYS).")
