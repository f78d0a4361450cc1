"""Webhook bodies → alerts, with no database (DESIGN §5).

Prometheus Alertmanager (webhook v4) and Grafana (unified alerting contact point) send the same
core shape; Grafana adds values and links. Anything that can never become valid raises
PayloadError (a 4xx: Alertmanager drops those instead of retrying them forever).
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from runbooks import inputs

STATUSES = {"firing", "resolved"}
# Alertmanager's zero time: "no end known yet".
ZERO_TIME_PREFIX = "0001-01-01"
MAX_ALERTS = 5000
MAX_LABELS = 100
MAX_NAME = 200
MAX_VALUE = 8192
MAX_TRUNCATED = 2**31 - 1  # what the column holds
GRAFANA_EXTRA = ("values", "valueString", "dashboardURL", "panelURL", "silenceURL", "imageURL")
GRAFANA_URLS = {"dashboardURL", "panelURL", "silenceURL", "imageURL"}


class PayloadError(ValueError):
    """The body is not, and can never become, a webhook we understand."""


@dataclass
class ParsedAlert:
    fingerprint: str
    alertname: str
    status: str
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime
    ends_at: datetime | None
    generator_url: str = ""
    extra: dict = field(default_factory=dict)


@dataclass
class ParsedBody:
    alerts: list[ParsedAlert]
    truncated_alerts: int = 0


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


def _string_map(value, name: str) -> dict[str, str]:
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


def _alert(raw, index: int, extra_keys: tuple[str, ...]) -> ParsedAlert:
    where = f"alerts[{index}]"
    if not isinstance(raw, dict):
        raise PayloadError(f"{where} must be an object.")
    labels = _string_map(raw.get("labels"), f"{where}.labels")
    status = raw.get("status")
    if not isinstance(status, str) or status not in STATUSES:
        raise PayloadError(f"{where}.status must be firing or resolved.")
    starts_at = parse_time(raw.get("startsAt"), f"{where}.startsAt")
    if starts_at is None:
        raise PayloadError(f"{where}.startsAt must be a real time.")
    ends_raw = raw.get("endsAt")
    fingerprint = raw.get("fingerprint") or fingerprint_of(labels)
    if not isinstance(fingerprint, str) or len(fingerprint) > 128:
        raise PayloadError(f"{where}.fingerprint must be a short string.")
    generator = raw.get("generatorURL") or ""
    if not isinstance(generator, str):
        raise PayloadError(f"{where}.generatorURL must be a string.")
    extra = {k: raw[k] for k in extra_keys if raw.get(k) not in (None, "", {})}
    for key in GRAFANA_URLS & extra.keys():  # links we show must be http(s); drop the rest
        extra[key] = inputs.http_url_or_empty(extra[key])
    return ParsedAlert(
        fingerprint=fingerprint,
        alertname=labels.get("alertname", "")[:MAX_NAME] or "(no alertname)",
        status=status,
        labels=labels,
        annotations=_string_map(raw.get("annotations"), f"{where}.annotations"),
        starts_at=starts_at,
        ends_at=parse_time(ends_raw, f"{where}.endsAt") if ends_raw else None,
        generator_url=inputs.http_url_or_empty(generator[:MAX_VALUE]),
        extra={k: v for k, v in extra.items() if v},
    )


def parse(body: bytes, source: str) -> ParsedBody:
    """Parse and check a whole body; nothing is stored if any part of it is unusable."""
    try:
        # Strings come back storable (NUL and lone surrogates replaced), nesting is bounded.
        data = inputs.load_json(body)
    except ValueError as exc:
        raise PayloadError(f"The body is not JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("alerts"), list):
        raise PayloadError("Expected a JSON object with an `alerts` list.")
    if len(data["alerts"]) > MAX_ALERTS:
        raise PayloadError(f"At most {MAX_ALERTS} alerts per body.")
    truncated = data.get("truncatedAlerts") or 0
    if not isinstance(truncated, int) or not 0 <= truncated <= MAX_TRUNCATED:
        raise PayloadError(f"truncatedAlerts must be a whole number up to {MAX_TRUNCATED}.")
    extra_keys = GRAFANA_EXTRA if source == "grafana" else ()
    alerts = [_alert(raw, i, extra_keys) for i, raw in enumerate(data["alerts"])]
    if source == "grafana" and isinstance(data.get("state"), str):
        for alert in alerts:  # Grafana's notification state ("alerting", "ok", …)
            alert.extra["state"] = data["state"][:50]
    return ParsedBody(alerts=alerts, truncated_alerts=truncated)
