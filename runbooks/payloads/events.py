"""PagerDuty Events API v2 bodies: one event per body, from any monitor that speaks it
(Zabbix media types, Uptime Kuma, InfluxDB tasks, cron checks).

An event names its alert by `dedup_key` (made from the payload when the sender gives none):
`trigger` opens the alert or, while it still fires, counts another notification of it;
`acknowledge` and `resolve` act on the alert with that key that still fires, and on nothing
else. The alert name is `custom_details.alertname`, else `class`, else `summary`; labels are the
payload's `source`, `severity`, `component` and `group`.
"""

import hashlib
import json
from datetime import datetime

from runbooks import inputs

from .base import (
    ACKNOWLEDGED,
    MAX_LABELS,
    MAX_NAME,
    MAX_VALUE,
    ParsedAlert,
    ParsedBody,
    PayloadError,
    fingerprint_of,
    parse_time,
)

ACTIONS = {"trigger": "firing", "acknowledge": ACKNOWLEDGED, "resolve": "resolved"}
SEVERITIES = ("critical", "error", "warning", "info")
MAX_DEDUP_KEY = 255  # PagerDuty's limit
MAX_FINGERPRINT = 128  # the column
MAX_SUMMARY = 1024
MAX_FIELD = 255
MAX_LINKS = 20
LABEL_FIELDS = ("source", "severity", "component", "group")


def parse(data: dict, received_at: datetime) -> ParsedBody:
    action = data.get("event_action")
    if not isinstance(action, str) or action not in ACTIONS:
        raise PayloadError("event_action must be trigger, acknowledge or resolve.")
    dedup_key = _optional_text(data, "dedup_key", MAX_DEDUP_KEY)
    if action != "trigger" and not dedup_key:
        raise PayloadError(f"An {action} event needs the dedup_key of the alert it {action}s.")
    raw = data.get("payload")
    if action == "trigger" or raw is not None:
        payload = _payload(raw, require=action == "trigger")
    else:
        payload = {}
    alertname = _alertname(payload)
    labels = {"alertname": alertname} if alertname else {}
    labels |= {name: payload[name] for name in LABEL_FIELDS if payload.get(name)}
    dedup_key = dedup_key or fingerprint_of(labels)
    moment = payload.get("timestamp") or received_at
    alert = ParsedAlert(
        fingerprint=_fingerprint(dedup_key),
        alertname=alertname or "(no alertname)",
        status=ACTIONS[action],
        labels=labels,
        annotations=_annotations(payload),
        starts_at=moment,
        ends_at=moment if action == "resolve" else None,
        generator_url=inputs.http_url_or_empty(data.get("client_url")),
        extra=_extra(data, dedup_key, action, moment),
        continues_open=True,
    )
    return ParsedBody(alerts=[alert])


def _payload(raw, require: bool) -> dict:
    if not isinstance(raw, dict):
        raise PayloadError("payload must be an object with summary, source and severity.")
    payload = {}
    for name, limit in (("summary", MAX_SUMMARY), ("source", MAX_FIELD)):
        payload[name] = _optional_text(raw, name, limit, where="payload.")
        if require and not payload[name]:
            raise PayloadError(f"payload.{name} is missing or blank.")
    severity = raw.get("severity")
    if severity is not None or require:
        if not isinstance(severity, str) or severity not in SEVERITIES:
            raise PayloadError(f"payload.severity must be one of {', '.join(SEVERITIES)}.")
        payload["severity"] = severity
    for name in ("component", "group", "class"):
        payload[name] = _optional_text(raw, name, MAX_FIELD, where="payload.")
    if raw.get("timestamp") is not None:
        payload["timestamp"] = parse_time(raw["timestamp"], "payload.timestamp")
    details = raw.get("custom_details")
    if details is not None and not isinstance(details, (dict, str, int, float, bool, list)):
        raise PayloadError("payload.custom_details must be JSON.")
    payload["custom_details"] = details
    return payload


def _optional_text(data: dict, name: str, limit: int, where: str = "") -> str:
    value = data.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise PayloadError(f"{where}{name} must be a string.")
    if len(value) > limit:
        raise PayloadError(f"{where}{name} is longer than {limit} characters.")
    return value.strip()


def _alertname(payload: dict) -> str:
    details = payload.get("custom_details")
    named = details.get("alertname") if isinstance(details, dict) else None
    for candidate in (named, payload.get("class"), payload.get("summary")):
        if isinstance(candidate, str) and candidate.strip():
            return " ".join(candidate.split())[:MAX_NAME]
    return ""


def _fingerprint(dedup_key: str) -> str:
    """The key itself, or a hash of it when it is longer than the column."""
    if len(dedup_key) <= MAX_FINGERPRINT:
        return dedup_key
    return "sha256:" + hashlib.sha256(dedup_key.encode()).hexdigest()


def _annotations(payload: dict) -> dict[str, str]:
    """The summary, and the custom details as text (free-form: kept, bounded, never refused)."""
    annotations = {"summary": payload["summary"]} if payload.get("summary") else {}
    details = payload.get("custom_details")
    if isinstance(details, dict):
        for key, value in list(details.items())[:MAX_LABELS]:
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            annotations[str(key)[:MAX_NAME]] = text[:MAX_VALUE]
    elif details is not None:
        text = details if isinstance(details, str) else json.dumps(details, ensure_ascii=False)
        annotations["details"] = text[:MAX_VALUE]
    return annotations


def _extra(data: dict, dedup_key: str, action: str, moment: datetime) -> dict:
    extra = {"dedup_key": dedup_key}
    client = data.get("client")
    if isinstance(client, str) and client.strip():
        extra["client"] = " ".join(client.split())[:MAX_FIELD]
    links = data.get("links")
    if links is not None and not isinstance(links, list):
        raise PayloadError("links must be a list of {href, text}.")
    kept = []
    for link in (links or [])[:MAX_LINKS]:
        if not isinstance(link, dict):
            raise PayloadError("links must be a list of {href, text}.")
        href, text = link.get("href"), link.get("text")
        if inputs.is_http_url(href) if isinstance(href, str) else False:
            label = text if isinstance(text, str) and text.strip() else href
            kept.append({"href": href, "text": " ".join(label.split())[:MAX_FIELD]})
    if kept:
        extra["links"] = kept
    if action == "acknowledge":
        extra["acknowledged_at"] = moment.isoformat()
    return extra
