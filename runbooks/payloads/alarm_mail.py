"""The OpenStack Health Monitor's alarm mails (`api_monitor.sh`, `reallysendalarm`).

The monitor mails, through `sendmail -t`::

    Subject: <cloud>/<prefix>/<iteration>: <KIND> <command>
    Date: <RFC 2822 date>

    <KIND> on <target>

    <prefix>/<iteration> on <host>:
    <command>
    <command output>
    (Timeout: <N>s)

KIND is `ALARM <rc>` (a failed call), `TIMEOUT <seconds>` or `Note` (statistics, or
"Successful iteration N" when the cloud has recovered). The mapping (README, "Alarm mails"):

- the alert name is `HealthMonitor: ` and the command without its arguments
  (`command_name`); labels `alertname`, `source`, `cloud`, `kind` and, when known, `rc` and
  `timeout`; the subject, full command, output, host and run as annotations;
- ALARM and TIMEOUT fire. The same cloud and name while it fires is the same alert, counted;
- a "Deferred alarms" mail carries several errors (`Error N: <command> => <rc>`): one alert each;
- a "recovered" note resolves the cloud's Health Monitor alerts that still fire; any other note
  is kept in the inbox and raises no alert.
"""

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from itertools import takewhile

from runbooks import inputs

from . import mime
from .base import (
    MAX_ALERTS,
    MAX_NAME,
    MAX_VALUE,
    ParsedAlert,
    ParsedBody,
    PayloadError,
    fingerprint_of,
)

ALERT_PREFIX = "HealthMonitor: "
SOURCE_LABEL = "openstack-health-monitor"
SUBJECT = re.compile(
    r"(?P<cloud>.*?)/(?P<run>[^/\s]+/\d+): "
    r"(?:ALARM (?P<rc>-?\d{1,9})|TIMEOUT (?P<timeout>\d{0,9})|(?P<note>Note))(?: (?P<command>.*))?"
)
HOST_LINE = re.compile(r"\S+ on (?P<host>[^\s:]+):")
TIMEOUT_LINE = re.compile(r"\(Timeout: (?P<seconds>\d{1,9})s\)")
DEFERRED = "Deferred alarms"
DEFERRED_ENTRY = re.compile(r"Error \d{1,9}: (?P<command>.*) => (?P<rc>-?\d{1,9})")
DEFERRED_TIMEOUT = re.compile(r"\s*\(timeout (?P<seconds>\d{1,9})\)\s*\Z")
RECOVERED = "Successful iteration"
CLIS = {"nova", "neutron", "cinder", "glance", "swift", "octavia", "designate", "openstack"}
VERBS = {"create", "delete", "list", "show", "set", "unset", "add", "remove", "attach"}
VERBS |= {"detach", "update", "issue", "revoke", "save", "boot", "start", "stop", "reboot"}
WORD = re.compile(r"[A-Za-z][A-Za-z-]*")
TIMEOUT_RC = 128  # the monitor reports a return code above this as a TIMEOUT


def parse(body: bytes, received_at: datetime) -> ParsedBody:
    subject, text, date = _read(body)
    match = SUBJECT.fullmatch(subject)
    if match is None:
        raise PayloadError(
            "This mail is not an OpenStack Health Monitor alarm: its subject does not read "
            "`<cloud>/<prefix>/<iteration>: ALARM <rc>|TIMEOUT <s>|Note <command>`."
        )
    cloud = match["cloud"].strip()[:MAX_NAME] or "(no cloud)"
    command = (match["command"] or "").strip()
    moment = date or received_at
    host, output, timeout = _body_parts(text, command)
    context = {"summary": subject, "host": host, "run": match["run"]}
    if match["note"]:
        if command.startswith(RECOVERED) or "recovered" in text.lower():
            recovered = [{"source": SOURCE_LABEL, "cloud": cloud}]
            return ParsedBody(alerts=[], recovered=recovered, recovered_at=moment)
        return ParsedBody(alerts=[], note="A note of the Health Monitor: kept, raises no alert.")
    if command.startswith(DEFERRED):
        alerts = _deferred(output, cloud, moment, context)
        if alerts:
            return ParsedBody(alerts=alerts)
    if match["rc"] is not None:
        kind, rc, timeout = "alarm", match["rc"], timeout
    else:
        kind, rc, timeout = "timeout", "", match["timeout"] or timeout
    return ParsedBody(alerts=[_alarm(cloud, command, kind, rc, timeout, output, moment, context)])


def command_name(command: str) -> str:
    """The command without its arguments: `nova boot`, `neutron router-create`,
    `openstack server create`, `Connectivity errors`, `No response from LB`.

    An OpenStack CLI keeps its subcommand (`openstack`: up to four lower-case words, ending at
    the first action verb); anything else keeps its leading words up to the first one with a
    digit, an option or punctuation (at most five)."""
    words = command.split()
    if not words:
        return "(no command)"
    first = "openstack" if words[0] == "myopenstack" else words[0]
    if first in CLIS:
        limit = 4 if first == "openstack" else 1
        sub = []
        for word in words[1 : 1 + limit]:
            if not (WORD.fullmatch(word) and word.islower()):
                break
            sub.append(word)
            if word in VERBS:
                break
        return " ".join([first, *sub])
    phrase = list(takewhile(WORD.fullmatch, words))[:5]
    return " ".join(phrase) or words[0][:60]


def _read(body: bytes) -> tuple[str, str, datetime | None]:
    """Subject (decoded, unfolded), the plain-text body (any transfer encoding, any charset)
    and the Date, all storable; read with bounded work (`mime`)."""
    try:
        message = mime.read(body)
        subject = " ".join(str(message.get("Subject", "")).split())
        part = message.get_body(preferencelist=("plain",))
        text = mime.check_text(_text_of(part) if part is not None else "")
        date = _date(message.get("Date"))
    except mime.MailTooComplex:
        raise
    except Exception as exc:  # the email package raises many kinds on hostile input
        raise PayloadError(f"The mail cannot be read: {type(exc).__name__}.") from None
    if not subject:
        raise PayloadError("This mail has no subject, so it is no Health Monitor alarm.")
    return inputs.clean_text(subject), inputs.clean_text(text), date


def _text_of(part) -> str:
    try:
        return part.get_content()
    except (LookupError, ValueError):  # a charset Python does not know
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", errors="replace")


def _date(value) -> datetime | None:
    """The Date header in UTC; None when missing or unreadable (the time received stands in)."""
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None:  # "-0000": no zone known
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return None


def _body_parts(text: str, command: str) -> tuple[str, str, str]:
    """(host, output, timeout seconds) from the body; output is what follows the command."""
    lines = text.splitlines()
    host, start = "", 0
    for index, line in enumerate(lines):
        if found := HOST_LINE.fullmatch(line.strip()):
            host, start = found["host"], index + 1
            break
    rest = lines[start:]
    if rest and rest[0].strip() == command:
        rest = rest[1:]
    while rest and not rest[-1].strip():
        rest.pop()
    timeout = ""
    if rest and (found := TIMEOUT_LINE.fullmatch(rest[-1].strip())):
        timeout = found["seconds"]
        rest.pop()
    return host[:MAX_NAME], "\n".join(rest).strip(), timeout


def _deferred(output: str, cloud: str, moment: datetime, context: dict) -> list[ParsedAlert]:
    """One alert per `Error N: <command> => <rc>` entry of a digest; the same command twice is
    one alert, counted twice."""
    entries: list[list] = []
    for line in output.splitlines():
        if found := DEFERRED_ENTRY.fullmatch(line.strip()):
            entries.append([found["command"].strip(), found["rc"], []])
        elif entries:
            entries[-1][2].append(line[1:] if line.startswith(" ") else line)
    if len(entries) > MAX_ALERTS:
        raise PayloadError(f"At most {MAX_ALERTS} errors per Deferred alarms mail.")
    alerts: dict[str, ParsedAlert] = {}
    for command, rc, lines in entries:
        details = "\n".join(lines).strip()
        timeout = ""
        if found := DEFERRED_TIMEOUT.search(details):
            timeout, details = found["seconds"], details[: found.start()]
        kind = "timeout" if int(rc) > TIMEOUT_RC else "alarm"
        alert = _alarm(cloud, command, kind, rc, timeout, details, moment, context)
        if alert.fingerprint in alerts:
            alerts[alert.fingerprint].repeats += 1
        else:
            alerts[alert.fingerprint] = alert
    return list(alerts.values())


def _alarm(cloud, command, kind, rc, timeout, output, moment, context) -> ParsedAlert:
    name = (ALERT_PREFIX + command_name(command))[:MAX_NAME]
    labels = {"alertname": name, "source": SOURCE_LABEL, "cloud": cloud, "kind": kind}
    labels |= {key: value for key, value in (("rc", rc), ("timeout", timeout)) if value}
    annotations = {**context, "command": command, "output": output}
    return ParsedAlert(
        fingerprint=fingerprint_of({"source": SOURCE_LABEL, "cloud": cloud, "alertname": name}),
        alertname=name,
        status="firing",
        labels=labels,
        annotations={key: value[:MAX_VALUE] for key, value in annotations.items() if value},
        starts_at=moment,
        ends_at=None,
        continues_open=True,
    )
