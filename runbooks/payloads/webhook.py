"""Alertmanager (webhook v4) and Grafana (unified alerting contact point) bodies.

Both send the same core shape; Grafana adds values and links.
"""

from runbooks import inputs

from .base import (
    MAX_ALERTS,
    MAX_NAME,
    MAX_VALUE,
    STATUSES,
    ParsedAlert,
    ParsedBody,
    PayloadError,
    fingerprint_of,
    parse_time,
)
from .base import string_map as _string_map

MAX_TRUNCATED = 2**31 - 1  # what the column holds
GRAFANA_EXTRA = ("values", "valueString", "dashboardURL", "panelURL", "silenceURL", "imageURL")
GRAFANA_URLS = {"dashboardURL", "panelURL", "silenceURL", "imageURL"}


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


def parse(data: dict, source: str) -> ParsedBody:
    """Check a whole body (a JSON object); nothing is stored if any part of it is unusable."""
    if not isinstance(data.get("alerts"), list):
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
