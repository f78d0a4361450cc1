"""Documents (runbooks, post-mortems, reports), their immutable revisions and tags."""

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from runbooks.choices import RELEASED_STATUSES, Kind, Status, Visibility

from .providers import Provider, roles_of


class TagQuerySet(models.QuerySet):
    def visible_to(self, user) -> "TagQuerySet":
        """Tags `user` may see: those at least one document `user` may see carries. Any other
        tag (one only private drafts carry) answers exactly like a tag that does not exist."""
        carried = Document.objects.visible_to(user).filter(tags=OuterRef("pk"))
        return self.filter(Exists(carried))


class Tag(models.Model):
    """A label shared by all kinds of documents."""

    slug = models.SlugField(max_length=50, unique=True)
    label = models.CharField(max_length=50)

    objects = TagQuerySet.as_manager()

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.label

    def get_absolute_url(self) -> str:
        return reverse("tag-detail", args=[self.slug])


def _released_q(on: str = "", now=None) -> Q:
    """Published or archived, and out of any embargo (of the document at `on`, e.g.
    "runbook__", or of the row itself) at `now` (the present unless said)."""
    now = now or timezone.now()
    return Q(**{f"{on}status__in": RELEASED_STATUSES}) & (
        Q(**{f"{on}embargo_until__isnull": True}) | Q(**{f"{on}embargo_until__lte": now})
    )


def _shared_q(on: str = "", now=None) -> Q:
    """Released, and meant for everyone signed in (DESIGN §3 rule b)."""
    shared = [Visibility.PUBLIC, Visibility.COMMUNITY]
    return _released_q(on, now) & Q(**{f"{on}visibility__in": shared})


def visible_to_provider_q(provider, on: str = "", now=None) -> Q:
    """What every member of `provider` sees regardless of who they are; with no provider,
    what every signed-in user sees (alert resolution). `on` names the relation to the
    document (e.g. "runbook__"), so that a query can join instead of asking a subquery;
    `now`, the moment asked about (the present unless said)."""
    if provider is None:
        return _shared_q(on, now)
    return _shared_q(on, now) | Q(**{f"{on}provider": provider})


class DocumentQuerySet(models.QuerySet):
    def visible_to(self, user, now=None) -> "DocumentQuerySet":
        """Documents `user` may see: the one place that decides (DESIGN §3). `now` is for
        a query compiled once and run again with the time of each request (access.py)."""
        if not user.is_authenticated:
            return self.filter(_released_q(now=now) & Q(visibility=Visibility.PUBLIC))
        q = _shared_q()  # (b) released public and community documents
        provider_ids = list(roles_of(user))
        if provider_ids:  # (a) everything of the user's own providers
            q |= Q(provider_id__in=provider_ids)
        # (c) unreleased community documents: their creator, and moderators
        unreleased_community = Q(provider__isnull=True) & ~Q(status__in=RELEASED_STATUSES)
        q |= unreleased_community if user.is_staff else unreleased_community & Q(creator=user)
        return self.filter(q)

    def shared(self) -> "DocumentQuerySet":
        """Documents every signed-in user may see (rule b); the rest is private to someone."""
        return self.filter(_shared_q())

    def visible_to_provider(self, provider, now=None) -> "DocumentQuerySet":
        """See `visible_to_provider_q`."""
        return self.filter(visible_to_provider_q(provider, now=now))

    def of_kind(self, kind: str) -> "DocumentQuerySet":
        return self.filter(kind=kind)

    def for_listing(self) -> "DocumentQuerySet":
        """What list pages need, in a fixed number of queries (with each kind's own row, so that
        `.specific` costs nothing)."""
        related = ["provider", "current_revision__author"]
        if self.model is Document:
            related += _kind_tables()
        return self.select_related(*related).prefetch_related("tags")


def _kind_tables() -> list[str]:
    """The accessors of the tables that kinds with fields of their own add (multi-table)."""
    return [
        rel.name
        for rel in Document._meta.related_objects
        if rel.one_to_one and issubclass(rel.related_model, Document)
    ]


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
    # When what the document's page shows last changed: moved on by the services that change
    # it (`runbooks.pagecache.touch`). Keys its cached page.
    page_changed_at = models.DateTimeField(default=timezone.now)

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
    def specific(self) -> "Document":
        """This document as its kind's own model (a Runbook for a runbook), the way Wagtail
        pages have it; free when the kind's row was loaded (`for_listing`)."""
        if type(self) is not Document:
            return self
        return getattr(self, self.kind, self)

    @property
    def is_released(self) -> bool:
        return self.status in RELEASED_STATUSES


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
