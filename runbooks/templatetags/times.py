"""Relative times on pages that are cached by the minute (runbooks/pagecache.py).

Django's `naturaltime` counts seconds ("12 seconds ago"), so a page kept for a minute would show
a count that was true only when it was rendered, and two renders a second apart would differ.
`ago` counts whole minutes from the current minute's start: the page is the same all minute.
"""

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

register = template.Library()


def _minute_start(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


@register.filter
def ago(value: datetime | None) -> str:
    """'just now' within the current minute, else '5 minutes ago', '2 hours ago', '3 days ago'."""
    if not value:
        return ""
    now = _minute_start(timezone.now())
    then = _minute_start(value)
    if then >= now:
        return "just now"
    return f"{timesince(then, now, depth=1)} ago"
