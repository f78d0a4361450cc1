"""Demo post-mortems written for this project: a Ceph OSD flap, a Nova scheduler outage and an
expired certificate (embargoed), with action items and verdicts on demo runbooks."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from runbooks.choices import Kind, Visibility
from runbooks.models import Postmortem, Provider
from runbooks.services import documents, postmortems

CEPH_FLAP = """## Summary

After a firmware update on two top-of-rack switches, OSDs on three storage hosts were marked
down and up again every few minutes for about two hours. Client I/O stalled in bursts.

## Impact

Volume-backed instances in one availability zone saw I/O pauses of up to 40 seconds.

## Timeline

All times UTC.

- 02:10 — CephOSDDown fires for osd.7 on stor07; the runbook "Ceph OSD down" opens
- 02:25 — flapping noticed: the same OSDs come back within a minute
- 03:05 — `ceph osd set nodown` to stop the churn while the network is checked
- 04:10 — the switch firmware is rolled back; OSDs stay up
- 04:40 — `ceph osd unset nodown`; health back to OK

## Root cause

The new firmware dropped jumbo frames on the cluster network under load, so heartbeats were
lost while the public network stayed fine.

## Trigger

A planned firmware update without a test on the storage VLAN.

## Resolution

Firmware rolled back; MTU checks added to the change template.

## Detection

Alerts fired within five minutes; the flapping pattern took fifteen more to recognise.

## Lessons learned

### What went well

The OSD runbook's diagnosis steps pointed at the network quickly.

### What went wrong

The runbook did not mention flapping or `nodown`.

### Where we got lucky

No disk failed while the cluster was degraded.
"""

NOVA_SCHEDULER = """## Summary

New instances failed to schedule for 70 minutes after a message queue node ran out of disk.

## Impact

Every boot request in the region failed with "No valid host"; running instances were not
affected.

## Timeline

- 09:02 — first customer ticket about failed boots
- 09:15 — nova-scheduler logs show timeouts talking to the message queue
- 09:40 — the full disk on a queue node is found and cleaned
- 10:12 — scheduling works again

## Root cause

Log rotation on the queue nodes had stopped after an OS upgrade.

## Lessons learned

### What went wrong

No alert covered disk space on the queue nodes.
"""

CERT_EXPIRY = """## Summary

The internal CA's intermediate certificate expired; kubelets on one cluster could no longer
talk to the API server.

## Lessons learned

### What went wrong

The expiry alert was routed to a mailbox nobody read.
"""


def seed_postmortems() -> None:
    """Idempotent: a post-mortem that exists is left as it is."""
    users = {
        u.username: u
        for u in get_user_model().objects.filter(username__in=["alice", "bob", "hanna"])
    }
    now = timezone.now()

    def at(days_ago: int, clock: str):  # the timelines' clock times (UTC), days ago
        hour, minute = map(int, clock.split(":"))
        return (now - timedelta(days=days_ago)).replace(
            hour=hour, minute=minute, second=0, microsecond=0
        )

    _postmortem(
        users["alice"],
        "nordwolke",
        "Ceph OSDs flapping after a switch firmware update",
        CEPH_FLAP,
        start=at(9, "02:10"),
        hours=2.5,
        severity="major",
        services=["block storage"],
        used=[("ceph-osd-down", "outdated"), ("network-mtu-mismatch", "helped")],
        items=[
            ("Add flapping and nodown to the OSD runbook", "alice", 5),
            ("Test firmware on the storage VLAN before rollout", "dave", -3),
        ],
        publish={"visibility": Visibility.COMMUNITY},
        status_incident=("6f1d2c9a", "https://status.nordwolke.example/incidents/6f1d2c9a"),
    )
    _postmortem(
        users["bob"],
        "alpenstack",
        "Nova scheduler outage: message queue disk full",
        NOVA_SCHEDULER,
        start=at(20, "09:02"),
        hours=70 / 60,
        severity="critical",
        services=["compute API"],
        used=[("disk-filling-up-control-node", "helped")],
        items=[("Alert on disk space of the queue nodes", "bob", 10)],
        publish={"visibility": Visibility.PUBLIC},
    )
    _postmortem(
        users["hanna"],
        "hansecloud",
        "Kubelets cut off by an expired intermediate certificate",
        CERT_EXPIRY,
        start=at(2, "05:40"),
        hours=3,
        severity="major",
        services=["Kubernetes"],
        used=[("kubernetes-certificate-expiry", "wrong")],
        items=[("Route certificate alerts to the on-call pager", "hanna", 7)],
        publish={"visibility": Visibility.COMMUNITY, "embargo_until": now + timedelta(days=14)},
    )


def _postmortem(
    author,
    provider_slug,
    title,
    body,
    *,
    start,
    hours,
    severity,
    services,
    used,
    items,
    publish,
    status_incident=("", ""),
):
    if Postmortem.objects.filter(title=title).exists():
        return
    postmortem = documents.create_document(
        actor=author,
        kind=Kind.POSTMORTEM,
        title=title,
        body=body,
        provider=Provider.objects.get(slug=provider_slug),
        incident_start=start,
        incident_end=start + timedelta(hours=hours),
        severity=severity,
        affected_services=services,
        status_incident_id=status_incident[0],
        status_incident_url=status_incident[1],
    )
    postmortems.set_runbooks_used(
        postmortem, [{"runbook": slug, "verdict": verdict} for slug, verdict in used], actor=author
    )
    for item_title, owner, due_in_days in items:
        postmortems.add_action_item(
            postmortem,
            actor=author,
            title=item_title,
            owner=owner,
            due_date=timezone.localdate() + timedelta(days=due_in_days),
        )
    documents.publish(postmortem, actor=author, **publish)
