"""A fixed-window counter per key in the shared cache (Redis in production)."""

import time

from django.core.cache import cache


def hit(key: str, per_minute: int) -> tuple[bool, int]:
    """Count one request; (allowed, seconds until the window resets)."""
    now = time.time()
    window_key = f"rate:{key}:{int(now // 60)}"
    cache.add(window_key, 0, timeout=120)
    try:
        count = cache.incr(window_key)
    except ValueError:  # evicted between add and incr
        cache.set(window_key, 1, timeout=120)
        count = 1
    return count <= per_minute, max(1, 60 - int(now % 60))
