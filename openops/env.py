"""Strict readers for environment variables.

Every reader has a safe default and raises ImproperlyConfigured, naming the variable, when a
value is present but unusable: a typo in production must stop start-up, not change behaviour.
"""

import os
import re
from datetime import timedelta
from typing import NamedTuple

import environ
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def _fail(name: str, value: str, expected: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"{name}={value!r} is not valid: expected {expected}.")


def env_str(name: str, default: str = "") -> str:
    value = _raw(name)
    return default if value is None else value


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise _fail(name, value, "true or false")


def env_int(name: str, default: int, minimum: int = 0) -> int:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise _fail(name, value, "a whole number") from None
    if number < minimum:
        raise _fail(name, value, f"a whole number of at least {minimum}")
    return number


class Rate(NamedTuple):
    """`count` events per `period`."""

    count: int
    period: timedelta


_RATE = re.compile(r"([0-9]+)/([0-9]+)([smh])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600}
# A longer window is more likely a typo (15h for 15m); it would also overflow date arithmetic.
_MAX_PERIOD_SECONDS = 24 * 3600


def env_rate(name: str, default: str) -> Rate:
    """Read `<count>/<number><unit>` with unit s, m or h, e.g. `10/15m`; the period is 1s-24h."""
    value = _raw(name) or default
    match = _RATE.fullmatch(value)
    seconds = int(match[2]) * _UNIT_SECONDS[match[3]] if match else 0
    if not match or int(match[1]) < 1 or not 1 <= seconds <= _MAX_PERIOD_SECONDS:
        raise _fail(name, value, "a count per period such as 10/15m (s, m or h; at most 24h)")
    return Rate(int(match[1]), timedelta(seconds=seconds))


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_url(name: str, default: str, schemes: set[str], parse) -> dict:
    """Parse a URL-shaped variable with django-environ, refusing unknown schemes."""
    value = _raw(name) or default
    scheme = value.split(":", 1)[0].lower()
    if scheme not in schemes:
        raise _fail(name, value, "a URL starting with " + " or ".join(sorted(schemes)))
    try:
        return parse(value)
    except Exception as exc:  # django-environ raises several types for bad URLs
        raise _fail(name, value, f"a valid URL ({exc})") from None


db_url = environ.Env.db_url_config
cache_url = environ.Env.cache_url_config
email_url = environ.Env.email_url_config
