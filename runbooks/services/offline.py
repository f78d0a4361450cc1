"""Offline copies (issue 21): written to a folder by `export_site`, or built by a worker as a
zip for one user, who alone may download it until it expires; a new copy replaces the old.

Both ways go through `runbooks.offline` (what the copy holds and how it is written); this
module is the one door for the `OfflineCopy` rows and the audit entries."""

import logging
import secrets
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from runbooks import audit
from runbooks.kinds.registry import KINDS
from runbooks.models import OfflineCopy, Provider
from runbooks.offline import bundle, contents

log = logging.getLogger(__name__)
State = OfflineCopy.State
PROGRESS_EVERY = 1.0  # seconds between progress writes of a copy being built
STUCK_AFTER = timedelta(minutes=15)  # a queued or building copy no worker has touched since


def export_site(path: Path, user, provider: Provider | None, base_url: str, progress=None):
    """Write `user`'s copy to the folder `path`; raises NotAMember or NotACopy."""
    found = contents.contents_for(user, provider)
    written = bundle.build(found, bundle.FolderSink(path), base_url, progress)
    _audit(user, found, detail={"folder": str(path)})
    return written


def request_copy(user, provider: Provider | None = None, base_url: str = "") -> OfflineCopy:
    """Ask a worker for a new copy for `user`: it replaces the one they had (whose link stops
    working at once) and is built once this transaction commits."""
    if provider is not None:
        contents.check_member(user, provider)
    with transaction.atomic():  # saved QUEUED: its commit sends it to a worker (tasks.py)
        copy, _ = OfflineCopy.objects.update_or_create(
            user=user,
            defaults={
                "key": secrets.token_urlsafe(32),
                "provider": provider,
                "state": State.QUEUED,
                "done": 0,
                "total": 0,
                "requested_at": timezone.now(),
                "finished_at": None,
                "expires_at": None,
                "archive": None,
                "size": 0,
                "counts": {},
                "error": "",
                "base_url": base_url,
            },
        )
    return copy


def build_copy(copy_id: int, key: str) -> bool:
    """Build the copy `key` names, if it is still the one asked for (a newer request replaces
    it) and not built yet: safe to run twice (STYLE §7)."""
    copy = _current(copy_id, key).exclude(state=State.READY).select_related("user").first()
    if copy is None:
        return False
    _current(copy_id, key).update(state=State.BUILDING, done=0)
    try:
        found = contents.contents_for(copy.user, copy.provider)
        sink = bundle.ZipSink(_folder_name(copy.user, found.made_at))
        bundle.build(found, sink, copy.base_url, _progress_writer(copy_id, key))
    except Replaced:
        return False
    except contents.NotAMember as exc:  # the user left the provider since asking
        _current(copy_id, key).update(state=State.FAILED, error=str(exc)[:300])
        return False
    except Exception:
        log.exception("Offline copy %s could not be built.", copy_id)
        _current(copy_id, key).update(state=State.FAILED, error="It could not be built.")
        return False
    archive = sink.bytes()
    now = timezone.now()
    with transaction.atomic():
        stored = _current(copy_id, key).update(
            state=State.READY,
            archive=archive,
            size=len(archive),
            finished_at=now,
            expires_at=now + timedelta(hours=settings.OPENOPS_OFFLINE_COPY_HOURS),
            counts=_counts(found),
        )
        if stored:
            _audit(copy.user, found, detail={"download": True, "bytes": len(archive)})
    return bool(stored)


class Replaced(Exception):
    """The copy being built was replaced by a newer request (or removed): stop."""


def _current(copy_id: int, key: str):
    return OfflineCopy.objects.filter(pk=copy_id, key=key)


def _progress_writer(copy_id: int, key: str):
    last = 0.0

    def write(done: int, total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if done < total and now - last < PROGRESS_EVERY:
            return
        last = now
        if not _current(copy_id, key).update(done=done, total=total):
            raise Replaced()

    return write


def _folder_name(user, made_at) -> str:
    name = slugify(user.get_username()) or f"user-{user.pk}"
    return f"openops-offline-{name}-{made_at:%Y%m%d-%H%M}"


def _counts(found: contents.Contents) -> dict:
    counts = {spec.label: found.count(spec.kind) for spec in KINDS}
    return {**counts, "alert route": sum(1 for r in found.routes if r.in_copy)}


def _audit(user, found: contents.Contents, detail: dict) -> None:
    audit.record(
        audit.Action.OFFLINE_COPY,
        actor=user,
        target=f"offline copy for {user.get_username()}",
        provider=found.provider,
        detail={**detail, "documents": len(found.documents)},
    )


def copy_of(user) -> OfflineCopy | None:
    """The user's copy as the page shows it (without the archive)."""
    if not user.is_authenticated:
        return None
    return OfflineCopy.objects.defer("archive").filter(user=user).first()


def download(user, key: str) -> tuple[str, bytes] | None:
    """(file name, zip) of `user`'s own ready, unexpired copy with this key; None otherwise —
    another user's copy, an old link, an expired copy all look the same."""
    if not user.is_authenticated:
        return None
    copy = (
        OfflineCopy.objects.filter(user=user, key=key, state=State.READY)
        .filter(expires_at__gt=timezone.now())
        .first()
    )
    if copy is None or copy.archive is None:
        return None
    made = copy.finished_at or copy.requested_at
    return f"{_folder_name(user, made)}.zip", bytes(copy.archive)


def remove_expired() -> int:
    removed, _ = OfflineCopy.objects.filter(expires_at__lte=timezone.now()).delete()
    return removed


def stuck() -> list[tuple[int, str]]:
    """(id, key) of the copies no worker has moved on for a while: the broker was away, or
    the worker was killed while building."""
    copies = OfflineCopy.objects.filter(
        state__in=[State.QUEUED, State.BUILDING], requested_at__lte=timezone.now() - STUCK_AFTER
    )
    return list(copies.values_list("pk", "key"))
