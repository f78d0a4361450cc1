"""Rate limits counted in a store every worker and instance shares (DESIGN §2).

A limit of N a minute allows N in any sixty seconds, not N in each clock minute (which lets
2N through around a minute's turn). The count is a sliding window estimated from two fixed
one-minute windows: all of the current minute's requests plus the previous minute's, weighted
by how much of it still lies within the last sixty seconds. Only allowed requests are counted,
so a client that keeps asking over the limit still gets the limit, no more and no less.

With a shared cache (`CACHE_URL=redis://…`) each window is one atomic INCR there; otherwise it
is a row in the database (`RateCounter`), changed atomically inside one transaction. A
per-process cache would let each gunicorn worker allow the full rate.
"""

import math
import time
from contextlib import nullcontext, suppress

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F

from runbooks.models import RateCounter

WINDOW_SECONDS = 60
SHARED_CACHES = ("django.core.cache.backends.redis.RedisCache",)


def uses_shared_cache() -> bool:
    return settings.CACHES["default"]["BACKEND"] in SHARED_CACHES


def hit(key: str, per_minute: int) -> tuple[bool, int]:
    """Count one request for `key` if the last sixty seconds leave room for it; (allowed,
    seconds until one more would be). Over the limit nothing is written: a flood of refused
    requests costs reads only."""
    now = time.time()
    window, elapsed = int(now // WINDOW_SECONDS), now % WINDOW_SECONDS
    store = _CacheWindows(key) if uses_shared_cache() else _DatabaseWindows(key)
    previous, current = store.count(window - 1), store.count(window)
    if _estimate(previous, current + 1, elapsed) > per_minute:
        return False, _retry_after(previous, current, elapsed, per_minute)
    with store.locked():
        current = store.add(window)
        allowed = _estimate(previous, current, elapsed) <= per_minute
        if not allowed:  # another worker took the last place meanwhile
            store.take_back(window)
            current -= 1
    return allowed, _retry_after(previous, current, elapsed, per_minute)


def _estimate(previous: int, current: int, elapsed: float) -> float:
    """Requests in the last sixty seconds, the previous minute's taken as evenly spread."""
    return previous * (1 - elapsed / WINDOW_SECONDS) + current


def _retry_after(previous: int, current: int, elapsed: float, per_minute: int) -> int:
    """Seconds until one more request fits: within this window when the previous one's weight
    is what fills it, else in the next window, once this one's weight has fallen enough."""
    room = per_minute - current - 1
    if room >= 0 and previous:
        fraction = 1 - room / previous  # of this window that must have passed
        wait = fraction * WINDOW_SECONDS - elapsed
    elif room >= 0:
        wait = 0
    else:  # this window alone is full; next, it is the previous one
        fraction = 1 - (per_minute - 1) / current if current else 0
        wait = WINDOW_SECONDS - elapsed + max(0.0, fraction) * WINDOW_SECONDS
    return min(2 * WINDOW_SECONDS, max(1, math.ceil(wait)))


class _CacheWindows:
    """One counter a window in the shared cache (Redis INCR/DECR are atomic)."""

    def __init__(self, key: str):
        self.key = key

    def locked(self):
        return nullcontext()

    def _name(self, window: int) -> str:
        return f"rate:{self.key}:{window}"

    def add(self, window: int) -> int:
        # Kept two windows: it is the previous window for the whole of the next one.
        cache.add(self._name(window), 0, timeout=2 * WINDOW_SECONDS)
        try:
            return cache.incr(self._name(window))
        except ValueError:  # evicted between add and incr
            cache.set(self._name(window), 1, timeout=2 * WINDOW_SECONDS)
            return 1

    def count(self, window: int) -> int:
        return int(cache.get(self._name(window), 0))

    def take_back(self, window: int) -> None:
        with suppress(ValueError):  # expired meanwhile: nothing to take back
            cache.decr(self._name(window))


class _DatabaseWindows:
    """One `RateCounter` row a window; the current row stays locked until the request is
    counted or taken back, so two workers never both take the last place."""

    def __init__(self, key: str):
        self.key = key

    def locked(self):
        return transaction.atomic()

    def _rows(self, window: int):
        return RateCounter.objects.filter(key=self.key, window=window)

    def add(self, window: int) -> int:
        rows = self._rows(window)
        if not rows.update(count=F("count") + 1):
            try:
                with transaction.atomic():
                    RateCounter.objects.create(key=self.key, window=window, count=1)
                    return 1
            except IntegrityError:  # another worker created it a moment ago
                rows.update(count=F("count") + 1)
        return rows.values_list("count", flat=True).get()

    def count(self, window: int) -> int:
        return self._rows(window).values_list("count", flat=True).first() or 0

    def take_back(self, window: int) -> None:
        self._rows(window).update(count=F("count") - 1)


def forget_old_windows() -> int:
    """Delete database counters of windows no limit reads any more (the periodic sweep calls
    this): the current and the previous one are kept."""
    current = int(time.time() // WINDOW_SECONDS)
    deleted, _ = RateCounter.objects.filter(window__lt=current - 1).delete()
    return deleted
