"""Every alarm source of an SCS cloud lands in the same inbox (DESIGN §5): the OpenStack Health
Monitor's alarm mails (piped by an MTA into `receive_alarm_mail`, or posted by a relay to
/api/v1/alerts/mail/) and PagerDuty Events API v2 bodies (/api/v1/alerts/events/).

The mails are made the way `api_monitor.sh` (`reallysendalarm`) writes them and then as real
mail systems re-encode them (quoted-printable, base64, RFC 2047 subjects, other charsets)."""

import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client

from runbooks.actors import SYSTEM
from runbooks.models import Alert, AlertEvent, InboxEntry, Scope
from runbooks.payloads.alarm_mail import command_name
from runbooks.services import routes, tokens
from tests.api import validate
from tests.conftest import client_for

ROOT = Path(__file__).resolve().parent.parent
MAIL_URL = "/api/v1/alerts/mail/"
EVENTS_URL = "/api/v1/alerts/events/"
CLOUD = "Default/RegionOne/monitoring"
RUN = "APIMonitor_1732900000/7"
BOOT = "nova boot --flavor SCS-1V-2 --image Debian-12 --nic net-id=4ad3 APIMonitor_1732_VM_3"


def hm_mail(
    kind: str,
    command: str,
    output: str = "",
    *,
    cloud: str = CLOUD,
    run: str = RUN,
    date: str = "Mon, 30 Nov 2026 03:12:44 +0100",
    timeout: str = "",
) -> bytes:
    """A mail exactly as `reallysendalarm` pipes it to `sendmail -t`."""
    tomsg = f"(Timeout: {timeout}s)" if timeout else ""
    return (
        f"From: {run} jumphost <apimon@ops.example.net>\n"
        "To: openops-alarms@ops.example.net\n"
        f"Subject: {cloud}/{run}: {kind} {command}\n"
        f"Date: {date}\n"
        "\n"
        f"{kind} on {cloud}\n"
        "\n"
        f"{run} on jumphost:\n"
        f"{command}\n"
        f"{output}\n"
        f"{tomsg}\n"
    ).encode()


def reencoded(subject: str, body: str, *, charset: str, cte: str) -> bytes:
    """The same alarm after a mail system re-encoded it."""
    message = EmailMessage()
    message["From"] = "apimon@ops.example.net"
    message["Subject"] = subject
    message["Date"] = "Mon, 30 Nov 2026 03:12:44 +0100"
    message.set_content(body, charset=charset, cte=cte)
    return bytes(message)


@pytest.fixture
def alerts_token(provider_a):
    return tokens.issue_token(
        name="hm", scopes=[Scope.ALERTS_WRITE], provider=provider_a, actor=SYSTEM
    )[1]


@pytest.fixture
def boot_runbook(alice, make_runbook, provider_a):
    runbook = make_runbook(alice, title="Instances do not boot", provider=provider_a)
    routes.save_route(
        alertname="HealthMonitor: nova boot", runbook=runbook, provider=provider_a, actor=SYSTEM
    )
    return runbook


@pytest.fixture
def post_mail(alerts_token, django_capture_on_commit_callbacks):
    def send(body: bytes, content_type="message/rfc822", token=alerts_token):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        with django_capture_on_commit_callbacks(execute=True):
            return Client().post(MAIL_URL, body, content_type=content_type, headers=headers)

    return send


@pytest.fixture
def pipe_mail(provider_a, django_capture_on_commit_callbacks):
    """The MTA's way in: the command with the mail on standard input."""

    def send(body: bytes, provider="provider-a") -> int:
        stdin = io.TextIOWrapper(io.BytesIO(body))
        saved, sys.stdin = sys.stdin, stdin
        try:
            with django_capture_on_commit_callbacks(execute=True):
                call_command("receive_alarm_mail", provider=provider, stdout=io.StringIO())
            return 0
        except CommandError as exc:
            return exc.returncode
        finally:
            sys.stdin = saved

    return send


@pytest.fixture(params=["http", "pipe"])
def deliver(request, post_mail, pipe_mail):
    """Both ways a mail comes in; returns True when it was stored."""
    if request.param == "http":
        return lambda body: post_mail(body).status_code == 202
    return lambda body: pipe_mail(body) == 0


# --- The mapping rule -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "command,name",
    [
        (BOOT, "nova boot"),
        ("neutron router-create APIMonitor_1732_Router", "neutron router-create"),
        (
            "neutron lbaas-loadbalancer-create --name LB_1 sub-4",
            "neutron lbaas-loadbalancer-create",
        ),
        ("openstack server create --flavor SCS-1V-2 VM_1", "openstack server create"),
        ("myopenstack floating ip delete 10.1.2.3", "openstack floating ip delete"),
        (
            "openstack security group rule create --ingress SG_1",
            "openstack security group rule create",
        ),
        ("cinder delete 7f3a", "cinder delete"),
        ("Connectivity errors", "Connectivity errors"),
        ("JH unreachable", "JH unreachable"),
        ("SLOW PERFORMANCE", "SLOW PERFORMANCE"),
        ("No response from LB 10.250.0.4 port 80", "No response from LB"),
        ("Errors connecting to LB 10.250.0.4 port 80: timeout", "Errors connecting to LB"),
        ("", "(no command)"),
    ],
)
def test_the_alert_name_is_the_command_without_its_arguments(command, name):
    assert command_name(command) == name


def test_an_alarm_mail_becomes_a_firing_alert_linked_to_its_runbook(deliver, boot_runbook):
    output = "ERROR (Forbidden): Quota exceeded for instances (HTTP 403)"
    assert deliver(hm_mail("ALARM 1", BOOT, output, timeout="36"))
    alert = Alert.objects.get()
    assert (alert.alertname, alert.status, alert.source) == (
        "HealthMonitor: nova boot",
        "firing",
        "healthmonitor",
    )
    assert alert.labels == {
        "alertname": "HealthMonitor: nova boot",
        "source": "openstack-health-monitor",
        "cloud": CLOUD,
        "kind": "alarm",
        "rc": "1",
        "timeout": "36",
    }
    assert alert.annotations["command"] == BOOT and alert.annotations["output"] == output
    assert alert.annotations["host"] == "jumphost" and alert.annotations["run"] == RUN
    assert alert.starts_at == datetime(2026, 11, 30, 2, 12, 44, tzinfo=UTC)
    assert alert.runbook == boot_runbook
    assert InboxEntry.objects.get().processed_at is not None


def test_a_timeout_fires_with_its_seconds(deliver):
    assert deliver(hm_mail("TIMEOUT 64", "openstack server list", "", timeout="64"))
    alert = Alert.objects.get()
    assert alert.alertname == "HealthMonitor: openstack server list"
    assert alert.labels["kind"] == "timeout" and alert.labels["timeout"] == "64"
    assert "rc" not in alert.labels


def test_the_same_alarm_again_while_it_fires_is_counted_not_doubled(deliver):
    for iteration, date in ((7, "03:12:44"), (8, "03:20:02"), (9, "03:27:30")):
        mail = hm_mail(
            "ALARM 1", BOOT, run=f"APIMonitor_1/{iteration}", date=f"Mon, 30 Nov 2026 {date} +0000"
        )
        assert deliver(mail)
    assert deliver(hm_mail("ALARM 1", BOOT, cloud="OS_CLOUD=other"))  # another cloud
    assert Alert.objects.count() == 2
    alert = Alert.objects.get(labels__cloud=CLOUD)
    assert alert.notifications == 3 and alert.events.count() == 3
    assert alert.starts_at == datetime(2026, 11, 30, 3, 12, 44, tzinfo=UTC)  # the first


def test_a_recovered_note_resolves_that_clouds_alarms_only(
    deliver, alerts_token, django_capture_on_commit_callbacks
):
    assert deliver(hm_mail("ALARM 1", BOOT))
    assert deliver(hm_mail("ALARM 2", "JH unreachable", "ssh: timeout"))
    assert deliver(hm_mail("ALARM 1", BOOT, cloud="other-cloud"))
    am_alert = {
        "status": "firing",
        "labels": {"alertname": "HostDown", "cloud": CLOUD},
        "startsAt": "2026-11-30T02:00:00Z",
        "fingerprint": "am-1",
    }
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(
            "/api/v1/alerts/alertmanager/",
            json.dumps({"alerts": [am_alert]}),
            content_type="application/json",
            headers={"Authorization": f"Bearer {alerts_token}"},
        )
    recovered = hm_mail(
        "Note",
        "Successful iteration 9",
        "Cloud seems to have recovered (or never was *systematically* broken)",
        run="APIMonitor_1732900000/8",
    )
    assert deliver(recovered)
    states = dict(Alert.objects.values_list("alertname", "status").filter(labels__cloud=CLOUD))
    assert states == {
        "HealthMonitor: nova boot": "resolved",
        "HealthMonitor: JH unreachable": "resolved",
        "HostDown": "firing",  # not the Health Monitor's
    }
    assert Alert.objects.get(labels__cloud="other-cloud").status == "firing"
    assert AlertEvent.objects.filter(status="resolved").count() == 2
    # After the recovery the same alarm is a new alert.
    assert deliver(hm_mail("ALARM 1", BOOT, date="Mon, 30 Nov 2026 05:00:00 +0000"))
    assert (
        Alert.objects.filter(alertname="HealthMonitor: nova boot", labels__cloud=CLOUD).count() == 2
    )


def test_a_statistics_note_is_kept_but_raises_no_alert(deliver):
    stats = "Run 12: 312 API calls (0 errors), 24 VMs, 0 failed, 8 LB (0 failed)"
    assert deliver(hm_mail("Note", "Statistics for run 12", stats))
    entry = InboxEntry.objects.get()
    assert entry.alert_count == 0 and entry.processed_at is not None
    assert not Alert.objects.exists()


def test_each_error_of_a_deferred_alarms_mail_is_its_own_alert(deliver):
    digest = (
        "Error 1: nova boot --flavor SCS-1V-2 VM_4 => 1\n"
        " ERROR (Conflict): Quota exceeded (HTTP 409)\n"
        "Error 2: neutron router-create Router_2 => 1\n"
        " Internal Server Error (HTTP 500)\n"
        "Error 3: openstack server list => 137\n"
        " (timeout 64)\n"
        "Error 4: nova boot --flavor SCS-2V-4 VM_5 => 1\n"
        " ERROR (Conflict): Quota exceeded (HTTP 409) (timeout 30)\n"
    )
    assert deliver(hm_mail("ALARM 4", "Deferred alarms", digest))
    alerts = {a.alertname: a for a in Alert.objects.all()}
    assert set(alerts) == {
        "HealthMonitor: nova boot",
        "HealthMonitor: neutron router-create",
        "HealthMonitor: openstack server list",
    }
    assert alerts["HealthMonitor: nova boot"].notifications == 2  # twice in the digest
    listing = alerts["HealthMonitor: openstack server list"]
    assert listing.labels["kind"] == "timeout" and listing.labels["timeout"] == "64"
    assert alerts["HealthMonitor: neutron router-create"].annotations["output"] == (
        "Internal Server Error (HTTP 500)"
    )
    assert InboxEntry.objects.get().alert_count == 4


@pytest.mark.parametrize(
    "charset,cte",
    [("utf-8", "quoted-printable"), ("utf-8", "base64"), ("iso-8859-1", "quoted-printable")],
)
def test_re_encoded_mails_read_the_same(deliver, charset, cte):
    cloud = "Région-Süd/RegionOne/monitoring"
    subject = f"{cloud}/{RUN}: ALARM 1 {BOOT}"
    body = f"ALARM 1 on {cloud}\n\n{RUN} on jumphost:\n{BOOT}\nFehler: Kontingent überschritten\n"
    assert deliver(reencoded(subject, body, charset=charset, cte=cte))
    alert = Alert.objects.get()
    assert alert.labels["cloud"] == cloud and alert.alertname == "HealthMonitor: nova boot"
    assert alert.annotations["output"] == "Fehler: Kontingent überschritten"


def test_an_unknown_charset_and_raw_8bit_headers_do_not_stop_the_alarm(deliver):
    mail = hm_mail("ALARM 1", BOOT, "résumé").replace(
        b"Date:", b"Content-Type: text/plain; charset=x-unknown-9\nDate:"
    )
    mail = mail.replace(b"Subject: Default", "Subject: Défault".encode("latin-1"))
    assert deliver(mail)
    alert = Alert.objects.get()
    assert alert.labels["cloud"] == "D\ufffdfault/RegionOne/monitoring"  # unreadable byte shown
    assert alert.annotations["output"] == "résumé"


def test_a_mail_that_is_no_alarm_is_refused_and_nothing_stored(post_mail, pipe_mail):
    newsletter = reencoded("Our November newsletter", "Hello!", charset="utf-8", cte="7bit")
    response = post_mail(newsletter)
    assert response.status_code == 400
    assert "not an OpenStack Health Monitor alarm" in response.json()["detail"]
    assert pipe_mail(newsletter) == 65
    assert pipe_mail(b"") == 65
    assert pipe_mail(b"\x00\xff\xfe garbage \x00") == 65
    assert not InboxEntry.objects.exists() and not Alert.objects.exists()


def test_a_mail_with_a_10_mb_attachment_is_refused_whole(post_mail, pipe_mail, settings):
    message = EmailMessage()
    message["Subject"] = f"{CLOUD}/{RUN}: ALARM 1 {BOOT}"
    message.set_content(f"ALARM 1 on {CLOUD}\n")
    message.add_attachment(os.urandom(10 * 1024 * 1024), maintype="application", subtype="gzip")
    mail = bytes(message)
    response = post_mail(mail)
    assert response.status_code == 413
    assert str(settings.OPENOPS_WEBHOOK_MAX_BYTES) in response.json()["detail"]
    assert pipe_mail(mail) == 65
    assert not InboxEntry.objects.exists()


def test_the_mail_receiver_checks_token_then_type(post_mail, provider_a, alice):
    mail = hm_mail("ALARM 1", BOOT)
    assert post_mail(mail, token=None).status_code == 401
    reader = tokens.issue_token(name="r", scopes=[Scope.READ], user=alice, actor=SYSTEM)[1]
    assert post_mail(mail, token=reader).status_code == 403
    answer = post_mail(mail, content_type="application/json")
    assert answer.status_code == 415 and "message/rfc822" in answer.json()["detail"]
    assert not InboxEntry.objects.exists()
    stored = validate(post_mail(mail))
    assert stored.json() == {"id": InboxEntry.objects.get().pk, "alerts": 1}


def test_an_unknown_provider_keeps_the_mail_in_the_mta_until_the_alias_is_fixed(pipe_mail):
    assert pipe_mail(hm_mail("ALARM 1", BOOT), provider="nope") == 75
    assert not InboxEntry.objects.exists()


@pytest.mark.parametrize(
    "database_url",
    ["sqlite:////nonexistent-folder/openops.sqlite3", "postgres://postgres@127.0.0.1:1/openops"],
)
def test_the_pipe_asks_the_mta_to_retry_while_the_database_is_away(database_url):
    """A real process, as the MTA runs it: exit 75 (EX_TEMPFAIL), so the mail is kept."""
    result = subprocess.run(
        [sys.executable, "manage.py", "receive_alarm_mail", "--provider", "provider-a"],
        input=hm_mail("ALARM 1", BOOT),
        capture_output=True,
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url, "CELERY_BROKER_URL": ""},
        timeout=60,
    )
    assert result.returncode == 75, result.stderr.decode()
    assert b"will try again" in result.stderr


@pytest.mark.django_db(transaction=True)
def test_the_pipe_stores_a_mail_from_a_real_process(provider_a):
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3") and db["NAME"].startswith(("file:", ":memory:")):
        pytest.skip("a second process needs a database file it can share")
    if db["ENGINE"].endswith("sqlite3"):
        url = f"sqlite:///{db['NAME']}"
    else:
        password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
        url = f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    result = subprocess.run(
        [sys.executable, "manage.py", "receive_alarm_mail", "--provider", "provider-a"],
        input=hm_mail("ALARM 1", BOOT),
        capture_output=True,
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr.decode()
    assert b"Stored alarm mail" in result.stdout
    assert InboxEntry.objects.get().source == "healthmonitor"


# --- PagerDuty Events API v2 ----------------------------------------------------------------


def trigger(**changes) -> dict:
    event = {
        "event_action": "trigger",
        "dedup_key": "disk-full-node-1",
        "payload": {
            "summary": "Disk /var is 98% full on node-1",
            "source": "node-1.cloudx.example",
            "severity": "critical",
            "timestamp": "2026-11-30T02:10:00Z",
            "component": "ceph",
            "group": "storage",
            "class": "disk",
            "custom_details": {"alertname": "DiskFull", "free": "2%", "mount": "/var"},
        },
        "links": [
            {"href": "https://grafana.example/d/disk", "text": "Disk dashboard"},
            {"href": "javascript:alert(1)", "text": "evil"},
        ],
        "client": "Zabbix",
        "client_url": "https://zabbix.cloudx.example/",
    }
    for key, value in changes.items():
        if key.startswith("payload__"):
            event["payload"][key.removeprefix("payload__")] = value
        else:
            event[key] = value
    return {key: value for key, value in event.items() if value is not None}


@pytest.fixture
def send_event(alerts_token, django_capture_on_commit_callbacks):
    def send(event, token=alerts_token, raw: bytes | None = None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        body = raw if raw is not None else json.dumps(event)
        with django_capture_on_commit_callbacks(execute=True):
            return Client().post(EVENTS_URL, body, content_type="application/json", headers=headers)

    return send


@pytest.fixture
def disk_runbook(alice, make_runbook, provider_a):
    runbook = make_runbook(alice, title="Disk full", provider=provider_a)
    routes.save_route(alertname="DiskFull", runbook=runbook, provider=provider_a, actor=SYSTEM)
    return runbook


def test_a_trigger_is_answered_as_pagerduty_does_and_becomes_an_alert(send_event, disk_runbook):
    response = validate(send_event(trigger()))
    assert response.status_code == 202
    assert response.json() == {
        "status": "success",
        "message": "Event processed",
        "dedup_key": "disk-full-node-1",
        "id": InboxEntry.objects.get().pk,
    }
    alert = Alert.objects.get()
    assert (alert.alertname, alert.status, alert.source) == ("DiskFull", "firing", "events")
    assert alert.labels == {
        "alertname": "DiskFull",
        "source": "node-1.cloudx.example",
        "severity": "critical",
        "component": "ceph",
        "group": "storage",
    }
    assert alert.annotations["summary"] == "Disk /var is 98% full on node-1"
    assert alert.annotations["free"] == "2%"
    assert alert.runbook == disk_runbook and alert.fingerprint == "disk-full-node-1"
    assert alert.starts_at == datetime(2026, 11, 30, 2, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    "changes,name",
    [
        ({"payload__custom_details": {"free": "2%"}}, "disk"),  # class
        (
            {"payload__custom_details": None, "payload__class": None},
            "Disk /var is 98% full on node-1",
        ),
    ],
)
def test_the_alert_name_falls_back_to_class_then_summary(send_event, changes, name):
    assert send_event(trigger(**changes)).status_code == 202
    assert Alert.objects.get().alertname == name


def test_a_repeated_trigger_is_the_same_alert_whatever_its_timestamp(send_event):
    send_event(trigger())
    send_event(trigger(payload__timestamp="2026-11-30T02:20:00Z"))
    alert = Alert.objects.get()
    assert alert.notifications == 2 and alert.events.count() == 2
    assert alert.starts_at == datetime(2026, 11, 30, 2, 10, tzinfo=UTC)


def test_acknowledge_then_resolve_then_trigger_again(send_event, alice, provider_a):
    send_event(trigger())
    ack = {"event_action": "acknowledge", "dedup_key": "disk-full-node-1"}
    assert send_event(ack).status_code == 202
    alert = Alert.objects.get()
    assert alert.status == "firing" and "acknowledged_at" in alert.extra
    page = client_for(alice).get(f"/alerts/{alert.pk}/").content.decode()
    assert "Acknowledged" in page
    listing = client_for(alice).get("/alerts/").content.decode()
    assert "alertstatus acknowledged" in listing
    resolve = {"event_action": "resolve", "dedup_key": "disk-full-node-1"}
    assert send_event(resolve).status_code == 202
    alert.refresh_from_db()
    assert alert.status == "resolved" and alert.ends_at is not None
    assert list(alert.events.values_list("status", flat=True)) == [
        "firing",
        "acknowledged",
        "resolved",
    ]
    send_event(trigger())  # the same key and even the same timestamp: a new incident
    assert Alert.objects.count() == 2
    assert Alert.objects.filter(status="firing").get().notifications == 1


def test_resolve_or_acknowledge_of_nothing_firing_is_kept_but_opens_nothing(send_event):
    for action in ("resolve", "acknowledge"):
        response = send_event({"event_action": action, "dedup_key": "never-triggered"})
        assert response.status_code == 202
    assert InboxEntry.objects.count() == 2 and not Alert.objects.exists()


def test_a_missing_dedup_key_is_made_from_the_payload_and_returned(send_event):
    first = send_event(trigger(dedup_key=None)).json()["dedup_key"]
    second = send_event(trigger(dedup_key=None)).json()["dedup_key"]
    other = send_event(trigger(dedup_key=None, payload__source="node-2")).json()["dedup_key"]
    assert first == second != other
    assert Alert.objects.count() == 2
    assert send_event({"event_action": "resolve", "dedup_key": first}).status_code == 202
    assert Alert.objects.get(fingerprint=first).status == "resolved"


def test_a_long_dedup_key_still_names_one_alert(send_event):
    key = "k" * 255
    send_event(trigger(dedup_key=key))
    send_event({"event_action": "resolve", "dedup_key": key})
    alert = Alert.objects.get()
    assert alert.status == "resolved" and alert.extra["dedup_key"] == key


def test_links_back_are_shown_and_only_web_links(send_event, alice, provider_a):
    send_event(trigger())
    page = client_for(alice).get(f"/alerts/{Alert.objects.get().pk}/").content.decode()
    assert 'href="https://grafana.example/d/disk"' in page and "Disk dashboard" in page
    assert "Open in Zabbix" in page and "javascript:" not in page


def test_routing_key_is_the_token_only_without_an_authorization_header(
    send_event, alerts_token, alice, settings
):
    assert send_event(trigger(routing_key=alerts_token), token=None).status_code == 202
    assert send_event(trigger(), token=None).status_code == 401
    assert send_event(trigger(routing_key="wrong"), token=None).status_code == 401
    reader = tokens.issue_token(name="r", scopes=[Scope.READ], user=alice, actor=SYSTEM)[1]
    assert send_event(trigger(routing_key=reader), token=None).status_code == 403
    # A header is the token; the body's key cannot stand in for a bad one.
    assert send_event(trigger(routing_key=alerts_token), token="wrong").status_code == 401
    # Without a header, size and JSON come before the key.
    assert send_event(None, token=None, raw=b"{not json").status_code == 400
    settings.OPENOPS_WEBHOOK_MAX_BYTES = 100
    assert send_event(trigger(routing_key=alerts_token), token=None).status_code == 413
    assert InboxEntry.objects.count() == 1


@pytest.mark.parametrize(
    "event,message",
    [
        ({"event_action": "explode", "dedup_key": "x"}, "event_action must be"),
        ({"event_action": "resolve"}, "needs the dedup_key"),
        (trigger(payload=None), "payload must be an object"),
        (trigger(payload__summary=""), "payload.summary is missing"),
        (trigger(payload__source=None), "payload.source is missing"),
        (trigger(payload__severity="catastrophic"), "payload.severity must be one of"),
        (trigger(payload__summary="s" * 1025), "longer than 1024"),
        (trigger(dedup_key="k" * 256), "longer than 255"),
        (trigger(payload__timestamp="2026-11-30 02:10"), "has no time zone"),
        (trigger(links={"href": "https://x.example"}), "links must be a list"),
        ([trigger()], "Expected a JSON object"),
    ],
)
def test_a_malformed_event_is_a_clear_400_and_nothing_is_stored(send_event, event, message):
    response = validate(send_event(event))
    assert response.status_code == 400
    answer = response.json()
    assert answer["status"] == "invalid event" and message in answer["errors"][0], answer
    assert not InboxEntry.objects.exists()


# --- Status pages ---------------------------------------------------------------------------


def test_a_provider_admin_sets_the_status_page_that_alert_pages_link(
    send_event, erin, alice, provider_a
):
    url = f"/providers/{provider_a.slug}/status-page/"
    refused = client_for(alice).post(url, {"status_page_url": "https://status.example.org/"})
    assert refused.status_code == 403
    client_for(erin).post(url, {"status_page_url": "javascript:alert(1)"})
    provider_a.refresh_from_db()
    assert provider_a.status_page_url == ""
    client_for(erin).post(url, {"status_page_url": "https://status.cloudx.example/"})
    provider_a.refresh_from_db()
    assert provider_a.status_page_url == "https://status.cloudx.example/"
    send_event(trigger())
    page = client_for(alice).get(f"/alerts/{Alert.objects.get().pk}/").content.decode()
    assert 'href="https://status.cloudx.example/"' in page and "Status page" in page
    provider_page = client_for(None).get(f"/providers/{provider_a.slug}/").content.decode()
    assert 'href="https://status.cloudx.example/"' in provider_page
    api = client_for(None).get("/api/v1/providers/").json()["results"]
    assert api[0]["status_page"] == "https://status.cloudx.example/"


def test_a_postmortem_names_the_status_page_incident_it_explains(alice, provider_a):
    from tests.api import ApiClient

    secret = tokens.issue_token(
        name="rw", scopes=[Scope.READ, Scope.WRITE], user=alice, actor=SYSTEM
    )[1]
    api = ApiClient(token=secret)
    incident = "https://status.cloudx.example/incidents/0b9c2f4e"
    created = api.post(
        "/api/v1/postmortems/",
        {
            "title": "Block storage outage",
            "body": "## Summary\n",
            "provider": "provider-a",
            "status_incident_url": incident,
            "status_incident_id": "0b9c2f4e",
        },
    )
    assert created.status_code == 201, created.json()
    slug = created.json()["slug"]
    assert created.json()["status_incident_url"] == incident
    page = client_for(alice).get(f"/postmortems/{slug}/").content.decode()
    assert f'href="{incident}"' in page and "0b9c2f4e</a>" in page
    bad = api.patch(
        f"/api/v1/postmortems/{slug}/",
        {"base_revision": 1, "status_incident_url": "javascript:alert(1)"},
    )
    assert bad.status_code == 400 and "status_incident_url" in bad.json()
    cleared = api.patch(
        f"/api/v1/postmortems/{slug}/",
        {"base_revision": 1, "status_incident_url": None, "status_incident_id": None},
    )
    assert cleared.status_code == 200, cleared.json()
    assert (
        cleared.json()["status_incident_url"] == "" and cleared.json()["status_incident_id"] == ""
    )


def test_alerts_can_be_listed_by_source(send_event, post_mail, alice):
    send_event(trigger())
    post_mail(hm_mail("ALARM 1", BOOT))
    page = client_for(alice).get("/alerts/?source=healthmonitor").content.decode()
    assert "HealthMonitor: nova boot" in page and "DiskFull" not in page
    api = client_for(alice).get("/api/v1/alerts/?source=events").json()["results"]
    assert [alert["alertname"] for alert in api] == ["DiskFull"]
    assert client_for(alice).get("/api/v1/alerts/?source=smoke-signals").status_code == 400


def _nested_multipart(depth: int) -> bytes:
    head = b"Subject: " + f"{CLOUD}/{RUN}: ALARM 1 {BOOT}".encode() + b"\n"
    parts = b""
    for level in range(depth):
        parts += f'Content-Type: multipart/mixed; boundary="b{level}"\n\n--b{level}\n'.encode()
    return head + parts + b"Content-Type: text/plain\n\nALARM\n"


HOSTILE_MAILS = {
    "nul-in-subject": hm_mail("ALARM 1", "nova\x00 boot"),
    "surrogate-bytes": hm_mail("ALARM 1", BOOT).replace(b"jumphost:", b"jump\xed\xbf\xbfhost:"),
    "broken-encoded-word": hm_mail("ALARM 1", BOOT).replace(
        b"Subject: ", b"Subject: =?utf-8?q?=ZZ=?= =?x-bogus?b?////?= "
    ),
    "invalid-base64": b"Subject: "
    + f"{CLOUD}/{RUN}: ALARM 1 {BOOT}".encode()
    + b"\nContent-Transfer-Encoding: base64\n\n!!!not base64***\n",
    "deep-multipart": _nested_multipart(2000),
    "huge-header": b"Subject: " + b"x" * 2_000_000 + b"\n\nbody",
    "huge-rc": hm_mail("ALARM " + "9" * 5000, BOOT),
    "huge-deferred-rc": hm_mail(
        "ALARM 1", "Deferred alarms", "Error 1: nova boot => " + "9" * 5000
    ),
    "far-date": hm_mail("ALARM 1", BOOT, date="Fri, 31 Dec 9999 23:59:59 -1200"),
    "year-zero-date": hm_mail("ALARM 1", BOOT, date="Sat, 01 Jan 0000 00:00:00 +0000"),
    "long-command": hm_mail("ALARM 1", "nova boot " + "--x " * 50_000),
    "deferred-flood": hm_mail(
        "ALARM 3", "Deferred alarms", "".join(f"Error {n}: cmd{n} => 1\n x\n" for n in range(6000))
    ),
    "only-headers": b"Subject: " + f"{CLOUD}/{RUN}: ALARM 1 {BOOT}".encode(),
    "binary": bytes(range(256)) * 100,
}


@pytest.mark.parametrize("name", list(HOSTILE_MAILS))
def test_hostile_mails_never_500_and_refusals_store_nothing(post_mail, alice, name):
    response = post_mail(HOSTILE_MAILS[name])
    assert response.status_code in (202, 400, 413), response.content[:300]
    if response.status_code != 202:
        assert not InboxEntry.objects.exists()
        return
    entry = InboxEntry.objects.get()
    assert entry.processed_at is not None and entry.failed_at is None, entry.error
    for alert in Alert.objects.all():  # every stored alert still shows
        assert client_for(alice).get(f"/alerts/{alert.pk}/").status_code == 200
    assert client_for(alice).get("/alerts/").status_code == 200
