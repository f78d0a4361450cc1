"""What alarm senders send → alerts, with no database (DESIGN §5).

One module per kind of sender, each turning a stored body into a ParsedBody:
`webhook` (Prometheus Alertmanager and Grafana), `events` (PagerDuty Events API v2 JSON) and
`alarm_mail` (the OpenStack Health Monitor's alarm mails). Anything that can never become valid
raises PayloadError: a 4xx for the sender (Alertmanager drops those instead of retrying them
forever), an `EX_DATAERR` exit for a mail pipe.
"""

from datetime import datetime

from . import alarm_mail, events, webhook
from .base import (
    ACKNOWLEDGED,
    MAX_LABELS,
    MAX_NAME,
    MAX_VALUE,
    ParsedAlert,
    ParsedBody,
    PayloadError,
    fingerprint_of,
    load_object,
    parse_time,
)

__all__ = [
    "ACKNOWLEDGED",
    "MAX_LABELS",
    "MAX_NAME",
    "MAX_VALUE",
    "ParsedAlert",
    "ParsedBody",
    "PayloadError",
    "fingerprint_of",
    "load_object",
    "parse",
    "parse_time",
]


def parse(body: bytes, source: str, received_at: datetime) -> ParsedBody:
    """Parse and check a whole stored body; nothing is stored if any part of it is unusable.
    `received_at` stands in for times a sender may leave out."""
    if source == "events":
        return events.parse(load_object(body), received_at)
    if source == "healthmonitor":
        return alarm_mail.parse(body, received_at)
    return webhook.parse(load_object(body), source)
