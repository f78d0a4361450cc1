"""What changed: `/changes/` (recent revisions and publications the visitor may see, with who,
which revision and a diff link), the Atom feeds of public changes (all, per tag, per
provider), and `/review/` (the runbooks an editor may review, riskiest first)."""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.contrib.syndication.views import Feed
from django.core.paginator import Paginator
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed

from runbooks import links, markdown
from runbooks.kinds.events import EVENT_KINDS, link
from runbooks.models import (
    Alert,
    Document,
    Event,
    Postmortem,
    Provider,
    Report,
    Runbook,
    RunbookUse,
    Tag,
)
from runbooks.visibility import writable_providers

CHANGES = tuple(kind for kind, spec in EVENT_KINDS.items() if spec.change)
PAGE_SIZE = 50
FEED_ITEMS = 50
RISK_WINDOW = timedelta(days=90)


def changes_of(user):
    visible = Document.objects.visible_to(user)
    return (
        Event.objects.filter(kind__in=CHANGES, document__in=visible)
        .select_related("document", "actor", "revision", "document__provider")
        .order_by("-created_at", "-pk")
    )


def changes(request):
    page = Paginator(changes_of(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "changes/list.html", {"page": page})


class ChangesFeed(Feed):
    """Public changes only: what an anonymous visitor may read."""

    feed_type = Atom1Feed
    title = "OpenOps: recent changes"
    subtitle = "New revisions and publications of public runbooks, post-mortems and reports."

    def link(self):
        return links.absolute(reverse("changes"))

    def get_object(self, request, *args, **kwargs):
        return None

    def events(self, obj):
        return changes_of(AnonymousUser())

    def items(self, obj):
        return self.events(obj)[:FEED_ITEMS]

    def item_title(self, event):
        if not EVENT_KINDS[event.kind].of_revision:  # "Published: …"
            return f"{event.get_kind_display().capitalize()}: {event.document.title}"
        number = event.revision.number if event.revision_id else "?"
        return f"{event.document.title} (revision {number})"

    def item_description(self, event):
        revision = event.revision or event.document.current_revision
        if revision is None:
            return ""
        text = markdown.text_of(revision.html)[:400]
        message = f"{revision.message}\n\n" if revision.message else ""
        return message + text  # escaped by the feed generator

    def item_link(self, event):
        return links.absolute(link(event))

    def item_guid(self, event):
        return links.absolute(f"{reverse('changes')}#event-{event.pk}")

    def item_pubdate(self, event):
        return event.created_at

    def item_updateddate(self, event):
        return event.created_at

    def item_author_name(self, event):
        return event.actor.get_username() if event.actor else "OpenOps"


class TagFeed(ChangesFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Tag.objects.visible_to(AnonymousUser()), slug=slug)

    def title(self, tag):
        return f"OpenOps: changes tagged #{tag.label}"

    def link(self, tag):
        return links.absolute(tag.get_absolute_url())

    def events(self, tag):
        return changes_of(AnonymousUser()).filter(document__tags=tag)


class ProviderFeed(ChangesFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Provider, slug=slug)

    def title(self, provider):
        return f"OpenOps: changes shared by {provider.name}"

    def link(self, provider):
        return links.absolute(provider.get_absolute_url())

    def events(self, provider):
        return changes_of(AnonymousUser()).filter(document__provider=provider)


# --- /review/ -----------------------------------------------------------------------------------


def review_queue(user):
    """Runbooks `user` may edit that are due for review or will be within two weeks, with
    what makes each risky: alert firings in the last 90 days (a number, from every provider,
    like the firing history), and the `outdated`/`wrong` verdicts and failed experience reports
    on the current revision that `user` may read; riskiest first, then most overdue."""
    mine = Q(provider__in=writable_providers(user))
    if user.is_staff or writable_providers(user).exists():
        mine |= Q(provider=None)
    soon = timezone.now() + timedelta(days=14)
    runbooks = Runbook.objects.visible_to(user).filter(mine, review_due_at__lte=soon)
    since = timezone.now() - RISK_WINDOW
    firings = (
        Alert.objects.filter(runbook=OuterRef("pk"), starts_at__gte=since)
        .values("runbook")
        .annotate(n=Count("pk"))
        .values("n")
    )
    verdicts = (
        RunbookUse.objects.filter(
            postmortem__in=Postmortem.objects.visible_to(user),
            runbook=OuterRef("pk"),
            revision=OuterRef("current_revision"),
            verdict__in=[RunbookUse.Verdict.OUTDATED, RunbookUse.Verdict.WRONG],
        )
        .values("runbook")
        .annotate(n=Count("pk"))
        .values("n")
    )
    failures = (
        Report.objects.visible_to(user)
        .filter(
            subject=OuterRef("pk"), subject_revision=OuterRef("current_revision"), outcome="failed"
        )
        .values("subject")
        .annotate(n=Count("pk"))
        .values("n")
    )
    # What made each review due, named only when `user` may read it (as on the runbook page).
    cause_readable = Document.objects.visible_to(user).filter(pk=OuterRef("review_due_source"))
    return (
        runbooks.annotate(
            cause_readable=Exists(cause_readable),
            firings=Coalesce(Subquery(firings), 0),
            bad_verdicts=Coalesce(Subquery(verdicts), 0),
            failed_reports=Coalesce(Subquery(failures), 0),
        )
        .annotate(risk=F("firings") + 10 * F("bad_verdicts") + 10 * F("failed_reports"))
        .select_related("provider", "review_due_source")
        .order_by("-risk", F("review_due_at").asc(nulls_first=True), "title")
    )


@login_required
def review(request):
    page = Paginator(review_queue(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "changes/review.html", {"page": page, "now": timezone.now()})
