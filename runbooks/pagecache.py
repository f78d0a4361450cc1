"""The anonymous document page, served from the cache (bench/README.md, "Caching").

An outage sends every provider's operators to the same runbook at once; most of them open it
from an alert link before they sign in. Their page is the same bytes for everyone, so it is kept
in the cache (Redis when CACHE_URL is set, so every gunicorn worker and every instance agree)
under a key made of what it shows:

- the document and its `page_changed_at`, which moves on with every write that changes what
  the page shows (see "One rule" below);
- the query string (an alert link's banner and placeholders);
- the minute, so relative times ("3 minutes ago") and the review-due state are never older
  than a minute;
- the templates' and static files' version, so a deploy never serves old markup.

A hit costs one query (the visibility check, which also reads `page_changed_at`) and no
rendering; a request that repeats the page's ETag (or is not modified since) gets a 304.
Signed-in readers, and anonymous visitors with a session or pending messages, never meet the
cache. Only pages anonymous visitors may see are ever stored, and the check runs before every
hit, so a document made private is gone from the cache the moment it is.

One rule keeps the pages fresh: every service that changes what a page shows says so with
`touch(ids)` (`naming=True` when what changed is shown on other pages too: a title, a status,
who may read it), and runs as a `services.base.changes_pages` service. The pages it touches,
and those the services it calls touch, wait in `stamping_once` and are stamped by one UPDATE
at its end, inside its transaction: the new stamps commit with the change, so no page is
served stale once the change is seen, and one edit writes each stamp once. There are no
signal receivers and no `save()` override: what is not a service does not change pages
(commands, tasks and the admin call the services too).
"""

import hashlib
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from django.conf import settings
from django.core.cache import cache as shared_cache
from django.db.models import Q
from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import http_date, parse_http_date_safe, quote_etag

from runbooks.models import Document, Report, RunbookUse

TIMEOUT = 120  # seconds; a key changes every minute anyway
BYPASS_COOKIES = {settings.SESSION_COOKIE_NAME, "messages"}


@dataclass
class _Stamps:
    """The pages a service touched, waiting for its end."""

    pages: set[int] = field(default_factory=set)
    naming: set[int] = field(default_factory=set)  # …and the pages naming these documents


_pending: ContextVar[_Stamps | None] = ContextVar("openops_page_stamps", default=None)


def touch(document_ids, *, naming: bool = False) -> None:
    """What these documents' pages show changed (with `naming`, also what the pages that name
    them show of them): no cached page of theirs is served again. Within `stamping_once` the
    stamps wait for its end; elsewhere they are written now."""
    ids = {pk for pk in document_ids if pk}
    pending = _pending.get()
    if pending is None:
        _stamp(ids, ids if naming else set())
        return
    pending.pages |= ids
    if naming:
        pending.naming |= ids


@contextmanager
def stamping_once():
    """Collect every `touch` inside and write the stamps with one UPDATE at the end (none if
    it fails). Nested, the outermost writes. Run it inside the transaction it stamps for."""
    if _pending.get() is not None:
        yield
        return
    stamps = _Stamps()
    token = _pending.set(stamps)
    try:
        yield
    finally:
        _pending.reset(token)
    _stamp(stamps.pages, stamps.naming)


def _stamp(pages: set[int], naming: set[int]) -> None:
    if not pages and not naming:
        return
    which = Q(pk__in=pages)
    if naming:  # as they are now, at the end of the write: asked in the same statement
        uses = RunbookUse.objects
        reports = Report.objects
        which |= (
            Q(pk__in=uses.filter(runbook_id__in=naming).values("postmortem_id"))
            | Q(pk__in=uses.filter(postmortem_id__in=naming).values("runbook_id"))
            | Q(pk__in=reports.filter(subject_id__in=naming).values("pk"))
            | Q(pk__in=reports.filter(pk__in=naming).values("subject_id"))
        )
    Document.objects.filter(which).update(page_changed_at=timezone.now())


def naming(pk: int) -> list[int]:
    """The documents whose pages name document `pk` (its title and link, its revision, and
    whether the reader may see it): the post-mortems that used it (or the runbooks it used),
    the reports about it (or the runbook it is about). Read at once, for a document about to
    go; `touch(…, naming=True)` asks the same at the end of the write."""
    uses = RunbookUse.objects.filter(Q(runbook_id=pk) | Q(postmortem_id=pk))
    reports = Report.objects.filter(Q(subject_id=pk) | Q(pk=pk))
    pairs = [
        *uses.values_list("runbook_id", "postmortem_id"),
        *reports.values_list("pk", "subject_id"),
    ]
    return sorted({i for pair in pairs for i in pair if i} - {pk})


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
    page = _Page(request, stamp)
    response = page.from_cache()
    if response is not None:
        return response
    response = render()
    if response.status_code != 200 or response.cookies:
        return response  # anything personal or unusual is never stored
    shared_cache.set(page.key, response.content, TIMEOUT)
    return page.headed(HttpResponse(response.content, content_type=CONTENT_TYPE))


def serve_cached(request, stamp: tuple[int, datetime]) -> HttpResponse | None:
    """What `serve` answers when it needs no render (a 304 or a page in the cache), else None:
    for the answer given before the middleware that reads sessions (runbooks/fastpath.py)."""
    return _Page(request, stamp).from_cache()


CONTENT_TYPE = "text/html; charset=utf-8"


class _Page:
    """One request's page: its key in the cache, ETag and Last-Modified."""

    def __init__(self, request, stamp: tuple[int, datetime]):
        self.request = request
        self.key = _key(request, *stamp)
        self.etag = quote_etag(self.key.rsplit(":", 1)[-1])
        # The page as of this minute: its relative times move on with the minute, not only
        # with writes, so the minute's start is as early as Last-Modified can be.
        self.modified = max(int(stamp[1].timestamp()), minute() * 60)

    def from_cache(self) -> HttpResponse | None:
        if _not_modified(self.request, self.etag, self.modified):
            return self.headed(HttpResponse(status=304))
        content = shared_cache.get(self.key)
        if content is None:
            return None
        return self.headed(HttpResponse(content, content_type=CONTENT_TYPE))

    def headed(self, response: HttpResponse) -> HttpResponse:
        response["ETag"] = self.etag
        response["Last-Modified"] = http_date(self.modified)
        response["Cache-Control"] = "no-cache"  # keep it, but ask again (a 304 is cheap)
        response["Vary"] = "Cookie"
        return response


def minute() -> int:
    """The minute now: part of every cached page's and fragment's key."""
    return int(timezone.now().timestamp() // 60)


def _key(request, pk: int, changed: datetime) -> str:
    query = request.META.get("QUERY_STRING", "")
    parts = (pk, changed.isoformat(), minute(), query, code_version())
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    return f"openops:page:{pk}:{digest}"


def _not_modified(request, etag: str, modified: int) -> bool:
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        return etag in [tag.strip() for tag in if_none_match.split(",")]
    since = parse_http_date_safe(request.headers.get("If-Modified-Since") or "")
    return since is not None and modified <= since


@cache
def code_version() -> str:
    """The deploy: templates and the static manifest (same files, same value in every
    worker and every instance)."""
    digest = hashlib.sha256()
    for folder in (settings.BASE_DIR / "templates", settings.BASE_DIR / "runbooks" / "static"):
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                digest.update(path.name.encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
