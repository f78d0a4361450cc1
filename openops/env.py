"""Strict readers for environment variables.

Every reader has a safe default and raises ImproperlyConfigured, naming the variable, when a
value is present but unusable: a typo in production must stop start-up, not change behaviour.
"""

import os

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
