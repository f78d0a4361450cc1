"""The other alarm sources in the demo, through the real intake path: Nordwolke's OpenStack
Health Monitor mails its alarms (a failed boot, a digest of deferred errors, a jump host that
recovered), and Hanse Cloud's Uptime Kuma speaks PagerDuty Events v2.

Idempotent: nothing is sent when the demo providers already received either kind.
"""

import json
from datetime import datetime, timedelta

from django.utils import timezone

from runbooks.demo.alerts import deliver
from runbooks.models import AlertSource, InboxEntry, Provider

CLOUD = "nordwolke/de-fra-1/apimon"
HOST = "apimon-jh"
BOOT = "nova boot --flavor SCS-2V-4 --image Debian-12 --nic net-id=8c1e APIMonitor_1764_VM_{n}"
QUOTA = "ERROR (Forbidden): Quota exceeded for cores: Requested 2, but already used 40 of 40 cores."
DIGEST = """Error 1: neutron router-create APIMonitor_1764_Router_2 => 1
 Internal Server Error (HTTP 500) (Request-ID: req-5e0c)
Error 2: openstack server list => 137
 (timeout 64)"""
# (hours ago, iteration, KIND, command, output, "(Timeout: Ns)" seconds)
MAILS = [
    (30.0, 212, "ALARM 2", "JH unreachable", "ssh: connect to host 10.250.255.1 port 22", 20),
    (29.5, 213, "Note", "Successful iteration 214", "Cloud seems to have recovered", 0),
    (3.0, 241, "ALARM 1", BOOT.format(n=3), QUOTA, 36),
    (2.7, 242, "ALARM 1", BOOT.format(n=7), QUOTA, 36),
    (1.0, 246, "ALARM 2", "Deferred alarms", DIGEST, 0),
    (0.8, 247, "Note", "Statistics for run 247", "312 API calls (3 errors), 24 VMs", 0),
]


def seed_alarm_sources() -> None:
    sources = (AlertSource.HEALTHMONITOR, AlertSource.EVENTS)
    if InboxEntry.objects.filter(source__in=sources).exists():
        return
    now = timezone.now().replace(microsecond=0)
    nordwolke = Provider.objects.get(slug="nordwolke")
    for hours, iteration, kind, command, output, timeout in MAILS:
        when = now - timedelta(hours=hours)
        mail = _mail(when, iteration, kind, command, output, timeout)
        deliver(nordwolke, AlertSource.HEALTHMONITOR, mail, when)
    hansecloud = Provider.objects.get(slug="hansecloud")
    for minutes, action in ((300, "trigger"), (290, "acknowledge"), (262, "resolve")):
        when = now - timedelta(minutes=minutes)
        deliver(hansecloud, AlertSource.EVENTS, _event(action, now - timedelta(minutes=300)), when)


def _mail(when: datetime, iteration: int, kind: str, command, output, timeout: int) -> bytes:
    """As `api_monitor.sh` writes it for `sendmail -t`."""
    run = f"APIMonitor_1764/{iteration}"
    tomsg = f"(Timeout: {timeout}s)" if timeout else ""
    return (
        f"From: {run} {HOST} <apimon@nordwolke.example>\n"
        "To: openops-alarms@openops.nordwolke.example\n"
        f"Subject: {CLOUD}/{run}: {kind} {command}\n"
        f"Date: {when:%a, %d %b %Y %H:%M:%S +0000}\n\n"
        f"{kind} on {CLOUD}\n\n{run} on {HOST}:\n{command}\n{output}\n{tomsg}\n"
    ).encode()


def _event(action: str, started: datetime) -> bytes:
    """Uptime Kuma's PagerDuty notification for Hanse Cloud's dashboard."""
    event = {"event_action": action, "dedup_key": "uptime-kuma-horizon"}
    if action == "trigger":
        event |= {
            "payload": {
                "summary": "[Horizon] [Down] HTTP 502 from https://dashboard.hansecloud.example",
                "source": "uptime-kuma.hansecloud.example",
                "severity": "critical",
                "timestamp": started.isoformat(),
                "component": "horizon",
                "group": "dashboards",
                "custom_details": {"alertname": "HorizonDashboardDown", "status": "502"},
            },
            "client": "Uptime Kuma",
            "client_url": "https://uptime.hansecloud.example/dashboard/7",
        }
    return json.dumps(event).encode()
