"""Documents (runbooks, post-mortems, reports), their immutable revisions and tags."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from runbooks.choices import KIND_URL_PREFIX, RELEASED_STATUSES, Kind, Status, Visibility

from .providers import Provider


class Tag(models.Model):
    """A label shared by all kinds of documents."""

    slug = models.SlugField(max_length=50, unique=True)
    label = models.CharField(max_length=50)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.label

    def get_absolute_url(self) -> str:
        return reverse("tag-detail", args=[self.slug])


class DocumentQuerySet(models.QuerySet):
    def visible_to(self, user) -> "DocumentQuerySet":
        """Documents `user` may see: the one place that decides (DESIGN §3)."""
        from runbooks.visibility import visible_documents_q

        return self.filter(visible_documents_q(user))

    def visible_to_provider(self, provider) -> "DocumentQuerySet":
        """What every member of `provider` sees, whoever they are (alert resolution)."""
        from runbooks.visibility import provider_documents_q

        return self.filter(provider_documents_q(provider))

    def of_kind(self, kind: str) -> "DocumentQuerySet":
        return self.filter(kind=kind)

    def stale(self, value: bool = True) -> "DocumentQuerySet":
        now = timezone.now()
        if value:
            return self.filter(kind=Kind.RUNBOOK, review_due_at__lt=now)
        return self.filter(kind=Kind.RUNBOOK, review_due_at__gte=now)

    def for_listing(self) -> "DocumentQuerySet":
        """What list pages need, in a fixed number of queries."""
        return self.select_related("provider", "current_revision__author").prefetch_related("tags")


class Document(models.Model):
    """A runbook, post-mortem or experience report. Its text lives in its revisions."""

    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.RUNBOOK)
    slug = models.SlugField(max_length=200)
    title = models.CharField(max_length=200)
    provider = models.ForeignKey(
        Provider, null=True, blank=True, on_delete=models.PROTECT, related_name="documents"
    )
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PUBLISHED)
    tags = models.ManyToManyField(Tag, blank=True, related_name="documents")
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    current_revision = models.ForeignKey(
        "Revision", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    embargo_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Runbook fields. review_due_at is derived (reviewed_at + interval) and kept by the
    # services so that "stale" is an indexable comparison.
    component = models.CharField(max_length=100, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_interval_days = models.PositiveIntegerField(default=180)
    review_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Where an imported runbook came from (import_runbooks / export_runbooks): the file's name
    # without `.md`, and its front matter kept verbatim (not rendered, not revisioned).
    source_name = models.CharField(max_length=200, blank=True)
    front_matter = models.TextField(blank=True)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "slug"], name="unique_slug_per_kind"),
        ]
        indexes = [models.Index(fields=["kind", "status", "-updated_at"])]
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse(f"{self.kind}-detail", args=[self.slug])

    @property
    def url_prefix(self) -> str:
        return KIND_URL_PREFIX[self.kind]

    @property
    def is_released(self) -> bool:
        return self.status in RELEASED_STATUSES

    @property
    def stale(self) -> bool:
        return self.kind == Kind.RUNBOOK and (
            self.review_due_at is not None and self.review_due_at < timezone.now()
        )

    @property
    def review_age_days(self) -> int | None:
        if self.reviewed_at is None:
            return None
        return (timezone.now() - self.reviewed_at).days

    def compute_review_due(self):
        if self.reviewed_at is None:
            return None
        return self.reviewed_at + timedelta(days=self.review_interval_days)


class Revision(models.Model):
    """An immutable snapshot of a document's title and Markdown, rendered once at save."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    parent = models.PositiveIntegerField(null=True, blank=True)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    html = models.TextField(blank=True)
    toc = models.JSONField(default=list, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # Two concurrent edits from the same base both try number = base + 1: one fails.
            models.UniqueConstraint(fields=["document", "number"], name="unique_revision_number"),
        ]
        ordering = ["document", "-number"]

    def __str__(self) -> str:
        return f"{self.document} r{self.number}"

    def get_absolute_url(self) -> str:
        return reverse(f"{self.document.kind}-revision", args=[self.document.slug, self.number])
