"""What every kind of alarm body parses into, and the checks they share."""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from runbooks import inputs

STATUSES = {"firing", "resolved"}
ACKNOWLEDGED = "acknowledged"
# Alertmanager's zero time: "no end known yet".
ZERO_TIME_PREFIX = "0001-01-01"
MAX_ALERTS = 5000  # per body, whatever the sender
MAX_LABELS = 100
MAX_NAME = 200
MAX_VALUE = 8192


class PayloadError(ValueError):
    """The body is not, and can never become, an alarm we understand."""


@dataclass
class ParsedAlert:
    fingerprint: str
    alertname: str
    status: str  # firing, resolved, or acknowledged (PagerDuty events)
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime
    ends_at: datetime | None
    generator_url: str = ""
    extra: dict = field(default_factory=dict)
    # Alertmanager and Grafana name one instance by (fingerprint, startsAt). Senders without
    # such a key (PagerDuty events, alarm mails) name an alert by its fingerprint alone: a
    # notification continues the alert with that fingerprint that still fires, whatever its
    # time; a resolve or acknowledge touches only such an alert.
    continues_open: bool = False
    repeats: int = 1  # the same alarm several times in one body (a Health Monitor digest)


@dataclass
class ParsedBody:
    alerts: list[ParsedAlert]
    truncated_alerts: int = 0
    # Label sets whose still-firing alerts from this source the body resolves (a Health
    # Monitor "recovered" note resolves its cloud's alarms).
    recovered: list[dict[str, str]] = field(default_factory=list)
    recovered_at: datetime | None = None
    # Why a body raises no alert at all, for the inbox (a statistics note).
    note: str = ""


def load_object(body: bytes) -> dict:
    """A JSON object, its strings storable and its nesting bounded."""
    try:
        data = inputs.load_json(body)
    except ValueError as exc:
        raise PayloadError(f"The body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise PayloadError("Expected a JSON object.")
    return data


def parse_time(value, name: str) -> datetime | None:
    """RFC 3339 as senders write it (nanoseconds, `Z`), always the same datetime for the same
    text so that (provider, fingerprint, startsAt) is a stable key; the zero time is None."""
    if not isinstance(value, str) or not value:
        raise PayloadError(f"{name} must be an RFC 3339 timestamp.")
    if value.startswith(ZERO_TIME_PREFIX):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise PayloadError(f"{name} {value[:40]!r} is not an RFC 3339 timestamp.") from None
    if parsed.tzinfo is None:
        raise PayloadError(f"{name} {value[:40]!r} has no time zone.")
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:00:00-12:00 is past the year 9999 in UTC
        raise PayloadError(f"{name} {value[:40]!r} is out of range.") from None


def string_map(value, name: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise PayloadError(f"{name} must be an object of strings.")
    if len(value) > MAX_LABELS:
        raise PayloadError(f"{name} has more than {MAX_LABELS} entries.")
    result = {}
    for key, item in value.items():
        if not isinstance(item, str):
            raise PayloadError(f"{name}.{str(key)[:40]} must be a string.")
        if len(key) > MAX_NAME or len(item) > MAX_VALUE:
            raise PayloadError(f"{name}.{key[:40]} is longer than allowed ({MAX_VALUE}).")
        result[key] = item
    return result


def fingerprint_of(labels: dict[str, str]) -> str:
    """For senders that give none: a stable hash of the sorted label set."""
    canonical = json.dumps(sorted(labels.items()), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]
