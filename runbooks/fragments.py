"""The shared part of a document's read page, from the cache (issue 32; bench/README.md).

At 3 am the operator is signed in, and the anonymous whole-page cache (`runbooks.pagecache`)
never meets them. Their page is two things:

- the **personal** parts, rendered for every request: the header (name, unread count, messages),
  the watch button, and what a kind adds that changes without a write to the page (a runbook's
  firing history: alerts arrive without stamping the page);
- the **shared** part, everything else in the page's content (the text, routes, compatibility,
  incident feedback, comments with their controls), kept in the cache under a key made of what
  it shows: the document and its `page_changed_at` (moved on by every write that changes the
  page, `pagecache.touch`), the path and query string (an alert link's banner), the minute
  (relative times, embargoes that end), the deploy, and the **audience**: who the reader is
  and what may change what they are shown — staff, superuser, their role at each provider.

The audience holds the reader's own id: what the part shows depends on who they are, not only
on their roles (the hidden comment its author still sees, their own comments' and routes'
controls, the drafts they created), so one reader's part is never served to another; a role
or staff change is a new key at once (a membership change does not move `page_changed_at`).

The shared part is rendered with marks where the personal parts and the CSRF token go, and
filled per request. The marks are derived from SECRET_KEY, so text written by a user cannot
carry one (a comment that could would receive the reader's CSRF token).
"""

import hashlib
from collections.abc import Callable
from datetime import datetime

from django.core.cache import cache as shared_cache
from django.middleware.csrf import get_token
from django.utils.crypto import salted_hmac
from django.utils.functional import SimpleLazyObject
from django.utils.safestring import SafeString, mark_safe

from runbooks import pagecache
from runbooks.models import roles_of

TIMEOUT = 120  # seconds; the key changes every minute anyway

_mark = SimpleLazyObject(lambda: "openops-" + salted_hmac("fragments", "mark").hexdigest()[:24])


class Marks:
    """`personal.<name>` in a template renders the mark of the personal part `name`."""

    def __getitem__(self, name: str) -> SafeString:
        return mark_safe(f"<!--{_mark}:{name}-->")


def csrf_mark() -> str:
    return f"{_mark}:csrf"


def audience(user) -> tuple:
    """Who reads, and everything about them that changes what the shared part shows."""
    if not user.is_authenticated:
        return ("anonymous",)
    return (user.pk, user.is_staff, user.is_superuser, sorted(roles_of(user).items()))


def key(request, pk: int, changed: datetime) -> str:
    parts = (
        pk,
        changed.isoformat(),
        pagecache.minute(),
        request.path,
        request.META.get("QUERY_STRING", ""),
        pagecache.code_version(),
        audience(request.user),
    )
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    return f"openops:fragment:{pk}:{digest}"


def shared(request, stamp: tuple[int, datetime], render: Callable[[], dict]) -> dict:
    """The shared part of the page of the document with `stamp` (id, page_changed_at; already
    checked visible to this reader), with its marks, from the cache or from `render()` (which
    renders it with `Marks` and `csrf_mark`)."""
    name = key(request, *stamp)
    part = shared_cache.get(name)
    if part is None:
        part = render()
        shared_cache.set(name, part, TIMEOUT)
    return part


def rendered_once(name: str, inputs, render: Callable[[], object]):
    """`render()`, a function of `inputs` alone (read for this request), kept under a key made
    of them, the minute (relative times) and the deploy: nothing to invalidate."""
    parts = (name, inputs, pagecache.minute(), pagecache.code_version())
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    key = f"openops:rendered:{name}:{digest}"
    value = shared_cache.get(key)
    if value is None:
        value = render()
        shared_cache.set(key, value, TIMEOUT)
    return value


def fill(request, html: str, personal: dict[str, str]) -> SafeString:
    """The shared part with this request's CSRF token and personal parts where the marks are."""
    prefix = f"<!--{_mark}:"
    pieces = html.replace(csrf_mark(), get_token(request)) if csrf_mark() in html else html
    if prefix in pieces:
        head, *rest = pieces.split(prefix)
        filled = [head]
        for piece in rest:
            name, _, after = piece.partition("-->")
            filled.append(personal.get(name, ""))
            filled.append(after)
        pieces = "".join(filled)
    return mark_safe(pieces)  # our own rendered templates and the sanitised text
