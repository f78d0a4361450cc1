"""Fixed-window rate limits counted in a store every worker and instance shares (DESIGN §2).

With a shared cache (`CACHE_URL=redis://…`) the count is one atomic INCR there; otherwise it is
a row in the database (`RateCounter`), incremented atomically. A per-process cache would let
each gunicorn worker allow the full rate.
"""

import time

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
    """Count one request for `key`; (allowed, seconds until the window resets)."""
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    count = _count_in_cache(key, window) if uses_shared_cache() else _count_in_db(key, window)
    return count <= per_minute, max(1, WINDOW_SECONDS - int(now % WINDOW_SECONDS))


def exceeded(key: str, per_minute: int) -> tuple[bool, int]:
    """Whether `key` is already over `per_minute` in this window, without counting; (over,
    seconds until the window resets)."""
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    if uses_shared_cache():
        count = cache.get(f"rate:{key}:{window}", 0)
    else:
        found = RateCounter.objects.filter(key=key, window=window).values_list("count", flat=True)
        count = found.first() or 0
    return count >= per_minute, max(1, WINDOW_SECONDS - int(now % WINDOW_SECONDS))


def _count_in_cache(key: str, window: int) -> int:
    window_key = f"rate:{key}:{window}"
    cache.add(window_key, 0, timeout=2 * WINDOW_SECONDS)
    try:
        return cache.incr(window_key)
    except ValueError:  # evicted between add and incr
        cache.set(window_key, 1, timeout=2 * WINDOW_SECONDS)
        return 1


def _count_in_db(key: str, window: int) -> int:
    rows = RateCounter.objects.filter(key=key, window=window)
    with transaction.atomic():
        if not rows.update(count=F("count") + 1):
            try:
                with transaction.atomic():
                    RateCounter.objects.create(key=key, window=window, count=1)
                    return 1
            except IntegrityError:  # another worker created it a moment ago
                rows.update(count=F("count") + 1)
        return rows.values_list("count", flat=True).get()


def forget_old_windows() -> int:
    """Delete database counters of past windows (the periodic sweep calls this)."""
    current = int(time.time() // WINDOW_SECONDS)
    deleted, _ = RateCounter.objects.filter(window__lt=current - 1).delete()
    return deleted
