"""Received text made safe to store and show (DESIGN §5, §6), with no database.

Every way in (JSON API bodies, webhook bodies, query strings) passes through here, so that
what is stored can always be encoded and rendered again: NUL (PostgreSQL refuses it) and lone
surrogates (no UTF-8 encoder accepts them) become U+FFFD; nesting is bounded, because the JSON
decoder and everything after it recurses; stored URLs are http(s) only.
"""

import json
import re
from datetime import UTC
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

REPLACEMENT = "\ufffd"
MAX_DEPTH = 32
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class TooDeep(ValueError):
    """JSON nested deeper than anything we accept."""


def clean_text(text: str) -> str:
    """`text` with every character that cannot be stored or encoded replaced by U+FFFD."""
    return _UNSTORABLE.sub(REPLACEMENT, text)


def clean_json(value: Any, depth: int = 0) -> Any:
    """A parsed JSON value with every string (keys too) cleaned; TooDeep past MAX_DEPTH."""
    if depth > MAX_DEPTH:
        raise TooDeep(f"The JSON is nested more than {MAX_DEPTH} levels deep.")
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(k): clean_json(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_json(v, depth + 1) for v in value]
    return value


def _no_constants(name: str):
    raise ValueError(f"{name} is not valid JSON")


def load_json(data: bytes | str) -> Any:
    """Parse untrusted JSON: strict (no NaN/Infinity), bounded in depth, strings cleaned.

    Raises ValueError (TooDeep included) with a readable message for anything unusable.
    """
    try:
        parsed = json.loads(data, parse_constant=_no_constants)
    except RecursionError:
        raise TooDeep(f"The JSON is nested more than {MAX_DEPTH} levels deep.") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"The body is not UTF-8: {exc.reason}.") from None
    return clean_json(parsed)


class CleanJSONDecoder(json.JSONDecoder):
    """Reads stored JSON columns with lone surrogates replaced, so that a value stored before
    input was cleaned (or escaped as `\\udfff` by the JSON encoder) never breaks a page."""

    def __init__(self, *args, **kwargs):
        kwargs["object_pairs_hook"] = _clean_pairs
        super().__init__(*args, **kwargs)


def _clean_pairs(pairs: list[tuple[str, Any]]) -> dict:
    return {clean_text(k): _clean_value(v) for k, v in pairs}


def _clean_value(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [_clean_value(v) for v in value]
    return value  # dicts were cleaned by the hook on their way up


# --- URLs ----------------------------------------------------------------------------------

URL_SCHEMES = ("http", "https")
MAX_URL = 8192  # Prometheus generator URLs carry the whole expression


def is_http_url(value: str) -> bool:
    """An absolute http(s) URL with a host, and nothing a browser would read differently."""
    if not value or len(value) > MAX_URL or value != value.strip():
        return False
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme.lower() in URL_SCHEMES and bool(parts.netloc)


def validate_http_url(value: str) -> None:
    """Model and form validator: stored URLs are http or https only (DESIGN §6)."""
    if value and not is_http_url(value):
        raise ValidationError(
            "Enter an absolute http:// or https:// URL.", code="invalid_url", params={}
        )


def http_url_or_empty(value: Any) -> str:
    """The URL when it is a safe http(s) URL, else "" (for senders we must not refuse)."""
    return value if isinstance(value, str) and is_http_url(value) else ""


def storable_moment(moment, field: str):
    """`moment` in UTC, or a field error when it cannot be stored: an aware time just before
    the year 10000 overflows on its way to UTC (e.g. 9999-12-31T23:00-12:00)."""
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValidationError({field: "This date is out of range."}) from None
