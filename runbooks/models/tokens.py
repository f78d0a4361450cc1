"""API tokens: hashed at rest, shown once, scoped, revocable."""

import hashlib

from django.conf import settings
from django.db import models

from .providers import Provider


class Scope(models.TextChoices):
    READ = "read", "Read documents"
    WRITE = "write", "Write documents"
    ALERTS_WRITE = "alerts:write", "Send alerts (webhooks)"


# Scopes that act as the token's user, so they need one.
USER_SCOPES = {Scope.READ, Scope.WRITE}


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class Token(models.Model):
    """A bearer token. Only its SHA-256 hash is stored; the prefix helps people tell them apart."""

    name = models.CharField(max_length=100)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    provider = models.ForeignKey(
        Provider, null=True, blank=True, on_delete=models.CASCADE, related_name="tokens"
    )
    prefix = models.CharField(max_length=12)
    digest = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes
