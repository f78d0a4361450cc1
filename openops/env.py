"""Strict readers for environment variables.

Every reader has a safe default and raises ImproperlyConfigured, naming the variable, when a
value is present but unusable: a typo in production must stop start-up, not change behaviour.
"""

import json
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


class OIDCIssuer(NamedTuple):
    """One OpenID Connect issuer operators sign in with (OPENOPS_OIDC_PROVIDERS)."""

    id: str
    name: str
    issuer: str
    client_id: str
    client_secret: str


_OIDC_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,49}")
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def _fail_quietly(name: str, expected: str) -> ImproperlyConfigured:
    """Like `_fail`, without echoing the value: it holds client secrets."""
    return ImproperlyConfigured(f"{name} is not valid (value not shown): expected {expected}.")


def env_oidc_providers(name: str) -> list[OIDCIssuer]:
    """A JSON list of {"id", "name", "issuer", "client_id", "client_secret"}; issuers are https,
    or plain http on a loopback address only (a local issuer for tests)."""
    from urllib.parse import urlsplit

    value = _raw(name)
    if value is None:
        return []
    expected = 'a JSON list of {"id", "name", "issuer", "client_id", "client_secret"}'
    try:
        items = json.loads(value)
    except ValueError:
        raise _fail_quietly(name, expected) from None
    if not isinstance(items, list):
        raise _fail_quietly(name, expected)
    issuers, seen = [], set()
    for item in items:
        fields = OIDCIssuer._fields
        if not isinstance(item, dict) or not all(
            isinstance(item.get(f), str) and item[f].strip() for f in fields
        ):
            raise _fail_quietly(name, expected + ", every field a non-empty string")
        issuer = OIDCIssuer(*(item[f].strip() for f in fields))
        if not _OIDC_ID.fullmatch(issuer.id) or issuer.id in seen:
            raise _fail_quietly(name, "unique ids of lower-case letters, digits and dashes")
        seen.add(issuer.id)
        parts = urlsplit(issuer.issuer)
        secure = parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK)
        if not secure or not parts.hostname:
            raise _fail_quietly(name, "https issuers (plain http only on a loopback address)")
        issuers.append(issuer._replace(issuer=issuer.issuer.rstrip("/")))
    return issuers
