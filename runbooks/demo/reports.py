"""Demo experience reports, written for this project: two providers ran the Ceph and Nova
runbooks on their releases; one run failed on the current revision."""

from django.contrib.auth import get_user_model

from runbooks.choices import Kind, Visibility
from runbooks.models import Provider, Report, Runbook
from runbooks.services import documents

REPORTS = [
    {
        "author": "alice",
        "provider": "nordwolke",
        "title": "Replaced an OSD disk on R7 with Ceph Reef",
        "runbook": "ceph-osd-down",
        "revision": "first",
        "outcome": "worked",
        "environment": {"scs_release": "R7", "ceph": "18.2", "os": "Ubuntu 22.04"},
        "body": "## What we did\n\nFollowed the diagnosis steps, found a dead disk with "
        "`smartctl`, replaced it and let the cluster backfill.\n\n## What happened\n\n"
        "Backfill took four hours; no client impact.\n",
    },
    {
        "author": "bob",
        "provider": "alpenstack",
        "title": "OSD down after a kernel update on R6",
        "runbook": "ceph-osd-down",
        "revision": "current",
        "outcome": "failed",
        "environment": {"scs_release": "R6", "ceph": "17.2", "os": "Debian 12"},
        "body": "## What we did\n\nRestarted the OSD as the runbook says.\n\n## What happened\n\n"
        "It crashed again at once: the new kernel had dropped the HBA driver. The runbook "
        "does not mention checking `dmesg` for missing devices.\n\n"
        "## What we would change in the runbook\n\nAdd a step: look for the device in "
        "`lsblk` before restarting the daemon.\n",
    },
    {
        "author": "bob",
        "provider": "alpenstack",
        "title": "Compute service down on R7: worked as written",
        "runbook": "nova-compute-service-down",
        "revision": "current",
        "outcome": "worked",
        "environment": {"scs_release": "R7", "openstack": "2024.1"},
        "body": "## What we did\n\nAll steps in order; the RabbitMQ connection was the cause.\n",
    },
    {
        "author": "alice",
        "provider": "nordwolke",
        "title": "Compute service down on R6: partly",
        "runbook": "nova-compute-service-down",
        "revision": "current",
        "outcome": "partly",
        "environment": {"scs_release": "R6", "openstack": "2023.2"},
        "body": "## What happened\n\nThe service came back, but only after we also restarted "
        "`ovn-controller`, which the runbook does not cover.\n",
    },
]


def seed_reports() -> None:
    """Idempotent: a report that exists is left as it is."""
    users = {u.username: u for u in get_user_model().objects.filter(username__in=["alice", "bob"])}
    for spec in REPORTS:
        if Report.objects.filter(title=spec["title"]).exists():
            continue
        runbook = Runbook.objects.get(slug=spec["runbook"])
        revision = 1 if spec["revision"] == "first" else runbook.current_revision.number
        report = documents.create_document(
            actor=users[spec["author"]],
            kind=Kind.REPORT,
            title=spec["title"],
            body=spec["body"],
            provider=Provider.objects.get(slug=spec["provider"]),
            environment=spec["environment"],
            outcome=spec["outcome"],
            runbook=runbook.slug,
            runbook_revision=revision,
            tags=["ceph"] if "ceph" in spec["runbook"] else ["nova"],
        )
        documents.publish(report, actor=users[spec["author"]], visibility=Visibility.COMMUNITY)
