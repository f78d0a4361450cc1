"""Comments on documents of every kind: Markdown, one level of replies, the author's provider
and the revision they were written on; edited and deleted by their authors, hidden by
moderators (DESIGN §3)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from .documents import Document
from .providers import ROLE_RANK, Role, roles_of


class CommentQuerySet(models.QuerySet):
    def visible_to(self, user) -> "CommentQuerySet":
        """Comments on documents `user` may see; a hidden one only to its author and to those
        who moderate its document (staff, admins of the document's provider: see
        `visibility.can_moderate`)."""
        if not user.is_authenticated:
            return self.filter(document__in=Document.objects.visible_to(user), hidden_at=None)
        visible = self.filter(document__in=Document.objects.visible_to(user))
        if user.is_staff:  # community moderators, on everything they may see
            return visible
        shown = Q(hidden_at=None) | Q(author=user)
        admin_of = [p for p, r in roles_of(user).items() if ROLE_RANK[r] >= ROLE_RANK[Role.ADMIN]]
        if admin_of:
            shown |= Q(document__provider__in=admin_of)
        return visible.filter(shown)


class Comment(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="comments"
    )
    # The author's provider when they wrote it (a badge; None: community).
    provider = models.ForeignKey(
        "Provider", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revision = models.ForeignKey(
        "Revision", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    section = models.CharField(max_length=200, blank=True)  # a heading id of that revision
    body = models.TextField()
    html = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    hidden_reason = models.CharField(max_length=300, blank=True)
    # Users named as @username who may see the document (for notifications).
    mentions = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="mentioned_in"
    )

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["document", "created_at"])]

    def __str__(self) -> str:
        return f"Comment {self.pk} on {self.document_id}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None
