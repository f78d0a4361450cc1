"""What one user's offline copy holds: released documents they may see, their tags, and the
alert routes that lead to them. Nothing here decides visibility itself: it asks the querysets
every page asks (DESIGN §3)."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Prefetch, Q
from django.utils import timezone

from runbooks.choices import Status
from runbooks.kinds.registry import KINDS
from runbooks.models import AlertRoute, Document, Provider, Tag, roles_of
from runbooks.models.documents import visible_to_provider_q
from runbooks.visibility import member_providers

# What the first page says the copy leaves out, and why.
LEFT_OUT = (
    "drafts, documents in review and archived ones",
    "history, comments and feedback",
    "received alerts",
    "what is private to providers you are not a member of",
)


class NotAMember(ValueError):
    """A copy for one provider is made by its members (its routes lead to its private runbooks)."""


@dataclass
class Route:
    """One alert route as the look-up page needs it (the precedence of DESIGN §4)."""

    pk: int
    alertname: str
    provider: str | None  # slug; None for a community route
    priority: int
    matchers: list
    component: str  # of the runbook it leads to
    runbook: int  # document id
    in_copy: bool  # False: the runbook is one the copy leaves out (a draft of the provider)


@dataclass
class Contents:
    user: object
    provider: Provider | None
    made_at: datetime
    documents: list[Document]  # each as its kind's own model, ordered by kind and title
    tags: dict[str, list[Document]]  # tag slug → documents, for tag pages
    tag_labels: dict[str, str]
    routes: list[Route]
    scopes: list[Provider]  # the providers whose routes the look-up page offers
    left_out: tuple[str, ...] = LEFT_OUT
    by_id: dict[int, Document] = field(default_factory=dict)

    def count(self, kind: str) -> int:
        return sum(1 for document in self.documents if document.kind == kind)


def contents_for(user, provider: Provider | None = None) -> Contents:
    """Everything `user` may read that an offline copy holds; with `provider`, only that
    provider's and community documents (the user must be a member of it)."""
    if provider is not None:
        check_member(user, provider)
    documents = _documents(user, provider)
    tags: dict[str, list[Document]] = {}
    labels: dict[str, str] = {}
    for document in documents:
        for tag in document.tags.all():
            tags.setdefault(tag.slug, []).append(document)
            labels[tag.slug] = tag.label
    scopes = [provider] if provider else list(member_providers(user))
    contents = Contents(
        user=user,
        provider=provider,
        made_at=timezone.now(),
        documents=documents,
        tags=dict(sorted(tags.items())),
        tag_labels=labels,
        routes=[],
        scopes=scopes,
        by_id={document.pk: document for document in documents},
    )
    contents.routes = _routes(scopes, contents.by_id)
    return contents


def check_member(user, provider: Provider) -> None:
    if provider.pk not in roles_of(user):
        raise NotAMember(f"{user.get_username()} is not a member of {provider.slug}.")


def _documents(user, provider) -> list[Document]:
    found = []
    for spec in KINDS:
        queryset = spec.model.objects.visible_to(user).filter(kind=spec.kind)
        queryset = queryset.filter(status=Status.PUBLISHED, current_revision__isnull=False)
        if provider is not None:
            queryset = queryset.filter(Q(provider=provider) | Q(provider__isnull=True))
        related = ["provider", "current_revision__author", *spec.select_related]
        tags = Prefetch("tags", queryset=Tag.objects.order_by("slug"))
        found += queryset.select_related(*related).prefetch_related(tags).order_by("title", "pk")
    return found


def _routes(scopes: list[Provider], in_copy: dict[int, Document]) -> list[Route]:
    """The routes `/r/` would consider for each scope (DESIGN §4: community routes, and routes
    scoped to that provider, to runbooks every member of it sees), and for no provider. A
    route whose runbook the copy leaves out is kept, marked, so that precedence stays exact."""
    # A community route leads to a community runbook, which is either shared or in no scope.
    scope_q = Q(provider__isnull=True) & visible_to_provider_q(None, on="runbook__")
    for provider in scopes:
        scope_q |= Q(provider=provider) & visible_to_provider_q(provider, on="runbook__")
    routes = AlertRoute.objects.filter(scope_q).select_related("provider", "runbook")
    return [
        Route(
            pk=route.pk,
            alertname=route.alertname,
            provider=route.provider.slug if route.provider else None,
            priority=route.priority,
            matchers=route.matchers,
            component=route.runbook.component,
            runbook=route.runbook_id,
            in_copy=route.runbook_id in in_copy,
        )
        for route in routes.order_by("pk")
    ]
