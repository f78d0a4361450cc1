"""Demo data for `make run`: providers, the four demo users, runbooks with history, their
alert routes, a month of received alerts (runbooks/demo/alerts.py) and the Health Monitor's
alarm mails and a PagerDuty-style event (runbooks/demo/alarm_sources.py).

`seed()` is idempotent: a second run finds everything in place and changes nothing.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from runbooks.actors import SYSTEM
from runbooks.choices import Kind
from runbooks.demo.alarm_sources import seed_alarm_sources
from runbooks.demo.alerts import seed_alerts
from runbooks.demo.comments import seed_comments
from runbooks.demo.content import PROVIDERS, RUNBOOKS
from runbooks.demo.postmortems import seed_postmortems
from runbooks.demo.reports import seed_reports
from runbooks.models import Document, Provider, Role
from runbooks.services import documents, people, runbooks

DEMO_USERS = [
    ("alice", "editor at Nordwolke Cloud"),
    ("bob", "editor at Alpenstack"),
    ("dave", "reader at Nordwolke Cloud"),
    ("carol", "community moderator (staff)"),
]

# (username, provider slug or None, role, is_staff)
_PEOPLE = [
    ("alice", "nordwolke", Role.EDITOR, False),
    ("bob", "alpenstack", Role.EDITOR, False),
    ("dave", "nordwolke", Role.READER, False),
    ("carol", None, None, True),
    ("hanna", "hansecloud", Role.ADMIN, False),
]


def _seed_people(password: str) -> dict:
    for slug, name, website, status_page in PROVIDERS:
        people.create_provider(slug, name, website, actor=SYSTEM, status_page_url=status_page)
    users = {}
    for username, provider_slug, role, is_staff in _PEOPLE:
        user = people.ensure_user(username, password, actor=SYSTEM)
        if user.is_staff != is_staff:
            user.is_staff = is_staff
            user.save(update_fields=["is_staff"])
        if provider_slug:
            people.set_membership(
                Provider.objects.get(slug=provider_slug), user, role, actor=SYSTEM
            )
        users[username] = user
    return users


def _seed_runbook(spec: dict, users: dict) -> None:
    if Document.objects.filter(kind=Kind.RUNBOOK, slug=spec["slug"]).exists():
        return
    provider = Provider.objects.get(slug=spec["provider"]) if spec["provider"] else None
    first, *later = spec["revisions"]
    document = documents.create_document(
        actor=users[first["author"]],
        kind=Kind.RUNBOOK,
        slug=spec["slug"],
        title=spec["title"],
        body=first["body"],
        provider=provider,
        visibility=spec["visibility"],
        tags=spec["tags"],
        component=spec["component"],
        placeholder_labels=spec.get("placeholder_labels", {}),
        message=first["message"],
    )
    for revision in later:
        documents.add_revision(
            document,
            actor=users[revision["author"]],
            title=spec["title"],
            body=revision["body"],
            base_revision=document.current_revision.number,
            message=revision["message"],
        )
    if spec.get("stale"):
        runbooks.mark_reviewed(
            document, actor=users[first["author"]], when=timezone.now() - timedelta(days=400)
        )


@transaction.atomic
def seed() -> None:
    users = _seed_people(settings.OPENOPS_DEMO_PASSWORD)
    for spec in RUNBOOKS:
        _seed_runbook(spec, users)
    seed_alerts()
    seed_alarm_sources()
    seed_postmortems()
    seed_reports()
    seed_comments()
