"""The anonymous document page, served from the cache (bench/README.md, "Caching").

An outage sends every provider's operators to the same runbook at once; most of them open it
from an alert link before they sign in. Their page is the same bytes for everyone, so it is kept
in the cache (Redis when CACHE_URL is set, so every gunicorn worker and every instance agree)
under a key made of what it shows:

- the document and its `page_changed_at`, which every write that changes what the page shows
  moves on (`Document.save`, the signals below for what hangs off a document and for the other
  documents a page names, and `touch` in the few bulk updates that bypass both);
- the query string (an alert link's banner and placeholders);
- the minute, so relative times ("3 minutes ago") and the review-due state are never older
  than a minute;
- the templates' and static files' version, so a deploy never serves old markup.

A hit costs one query (the visibility check, which also reads `page_changed_at`) and no
rendering; a request that repeats the page's ETag (or is not modified since) gets a 304.
Signed-in readers, and anonymous visitors with a session or pending messages, never meet the
cache. Only pages anonymous visitors may see are ever stored, and the check runs before every
hit, so a document made private is gone from the cache the moment it is.
"""

import hashlib
from datetime import datetime
from functools import cache

from django.conf import settings
from django.core.cache import cache as shared_cache
from django.db.models import Q
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.dispatch import receiver
from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import http_date, parse_http_date_safe, quote_etag

from runbooks.models import (
    ActionItem,
    AlertRoute,
    Comment,
    Document,
    Postmortem,
    Provider,
    Report,
    Revision,
    RouteChange,
    RunbookUse,
    Tag,
)

TIMEOUT = 120  # seconds; a key changes every minute anyway
BYPASS_COOKIES = {settings.SESSION_COOKIE_NAME, "messages"}


def touch(document_ids) -> None:
    """What these documents' pages show changed: no cached page of theirs is served again."""
    ids = [pk for pk in document_ids if pk]
    if ids:
        Document.objects.filter(pk__in=ids).update(page_changed_at=timezone.now())


def cacheable(request) -> bool:
    return (
        request.method in ("GET", "HEAD")
        and not request.user.is_authenticated
        and not BYPASS_COOKIES & request.COOKIES.keys()
    )


def serve(request, stamp: tuple[int, datetime], render):
    """The anonymous page of the document with `stamp` (id, page_changed_at; already checked
    visible), from the cache or from `render()`, with ETag and Last-Modified; 304 when the
    client has it."""
    key = _key(request, *stamp)
    etag = quote_etag(key.rsplit(":", 1)[-1])
    # The page as of this minute: its relative times move on with the minute, not only with
    # writes, so the minute's start is as early as Last-Modified can be.
    modified = max(int(stamp[1].timestamp()), _minute() * 60)
    if _not_modified(request, etag, modified):
        response = HttpResponse(status=304)
    else:
        content = shared_cache.get(key)
        if content is None:
            response = render()
            if response.status_code != 200 or response.cookies:
                return response  # anything personal or unusual is never stored
            content = response.content
            shared_cache.set(key, content, TIMEOUT)
        response = HttpResponse(content, content_type="text/html; charset=utf-8")
    response["ETag"] = etag
    response["Last-Modified"] = http_date(modified)
    response["Cache-Control"] = "no-cache"  # keep it, but ask again (a 304 is cheap)
    response["Vary"] = "Cookie"
    return response


def _minute() -> int:
    return int(timezone.now().timestamp() // 60)


def _key(request, pk: int, changed: datetime) -> str:
    query = request.META.get("QUERY_STRING", "")
    parts = (pk, changed.isoformat(), _minute(), query, _code_version())
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    return f"openops:page:{pk}:{digest}"


def _not_modified(request, etag: str, modified: int) -> bool:
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        return etag in [tag.strip() for tag in if_none_match.split(",")]
    since = parse_http_date_safe(request.headers.get("If-Modified-Since") or "")
    return since is not None and modified <= since


@cache
def _code_version() -> str:
    """The deploy: templates and the static manifest (same files, same value in every
    worker and every instance)."""
    digest = hashlib.sha256()
    for folder in (settings.BASE_DIR / "templates", settings.BASE_DIR / "runbooks" / "static"):
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                digest.update(path.name.encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


# --- What changes a page ---------------------------------------------------------------------


@receiver([post_save, post_delete], sender=Revision)
@receiver([post_save, post_delete], sender=Comment)
def _of_document(sender, instance, **kwargs):
    touch([instance.document_id])


@receiver([post_save, post_delete], sender=AlertRoute)
@receiver([post_save, post_delete], sender=RouteChange)
def _of_runbook(sender, instance, **kwargs):
    touch([instance.runbook_id])


@receiver([post_save, post_delete], sender=RunbookUse)
def _of_use(sender, instance, **kwargs):
    touch([instance.runbook_id, instance.postmortem_id])


# What a page shows of another document it names (a report's runbook, a post-mortem's runbooks,
# a runbook's post-mortems and reports): its title and link, its revision, and whether the
# reader may see it at all. A change of any of these moves the stamps of the pages naming it.
NAMED = {"title", "slug", "status", "visibility", "embargo_until", "current_revision"}


@receiver(post_save)
def _named_elsewhere(sender, instance, created, update_fields=None, **kwargs):
    if created or not isinstance(instance, Document):
        return
    if update_fields is None or NAMED & set(update_fields):
        touch(naming(instance.pk))


@receiver(pre_delete)
def _named_document_deleted(sender, instance, **kwargs):
    if isinstance(instance, Document):  # reports keep no link to it (SET_NULL sends nothing)
        touch(naming(instance.pk))


def naming(pk: int) -> list[int]:
    """The documents whose pages name document `pk`: the post-mortems that used it (or the
    runbooks it used), the reports about it (or the runbook it is about)."""
    uses = RunbookUse.objects.filter(Q(runbook_id=pk) | Q(postmortem_id=pk))
    reports = Report.objects.filter(Q(subject_id=pk) | Q(pk=pk))
    pairs = [
        *uses.values_list("runbook_id", "postmortem_id"),
        *reports.values_list("pk", "subject_id"),
    ]
    return sorted({i for pair in pairs for i in pair if i} - {pk})


@receiver([post_save, post_delete], sender=ActionItem)
def _of_action_item(sender, instance, **kwargs):
    touch([instance.postmortem_id])


@receiver([post_save, post_delete], sender=Report)
def _of_report(sender, instance, **kwargs):
    touch([instance.subject_id])  # the runbook's page counts its reports


@receiver(m2m_changed, sender=Postmortem.alerts.through)
def _alerts_linked(sender, instance, action, pk_set, **kwargs):
    if action.startswith("post_") and isinstance(instance, Document):
        touch([instance.pk])


@receiver(m2m_changed, sender=Document.tags.through)
def _tags_changed(sender, instance, action, pk_set, **kwargs):
    if action.startswith("post_"):
        if isinstance(instance, Document):
            touch([instance.pk])
        else:  # a tag's documents changed
            touch(pk_set or [])


@receiver(post_save, sender=Tag)
def _tag_renamed(sender, instance, created, **kwargs):
    if not created:
        touch(instance.documents.values_list("pk", flat=True))


@receiver(post_save, sender=Provider)
def _provider_renamed(sender, instance, created, **kwargs):
    if not created:
        touch(instance.documents.values_list("pk", flat=True))
