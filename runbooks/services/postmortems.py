"""What only post-mortems have: action items (title, owner, due date, status, tracker URL),
kept outside the revision history and changed by those who may edit the post-mortem."""

from collections.abc import Iterable
from contextlib import contextmanager
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone

from runbooks import inputs, pagecache
from runbooks.actors import SYSTEM
from runbooks.models import (
    ActionItem,
    Alert,
    Event,
    Postmortem,
    ReviewReason,
    Revision,
    Runbook,
    RunbookUse,
    roles_of,
)
from runbooks.visibility import can_edit

from . import events
from .base import changes_pages, require
from .reviews import lifted_lately, put_up_for_review

EDIT_DENIED = "You may read this post-mortem but not change its action items."
FIELDS = ("title", "owner", "due_date", "status", "tracker_url")


def _owner(postmortem: Postmortem, owner):
    """The owner as a user: a member of the post-mortem's provider (anyone for a community
    one); None for nobody yet."""
    if owner in (None, ""):
        return None
    if isinstance(owner, str):
        owner = get_user_model().objects.filter(username=owner).first()
        if owner is None:
            raise ValidationError({"owner": "There is no such user."})
    if postmortem.provider_id is not None and postmortem.provider_id not in roles_of(owner):
        raise ValidationError(
            {"owner": "The owner must be a member of the post-mortem's provider."}
        )
    return owner


def _refuse_unknown(values: dict) -> None:
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "Not a field of an action item."))


def _checked(postmortem: Postmortem, values: dict) -> dict:
    _refuse_unknown(values)
    checked = dict(values)
    if "title" in values:
        title = " ".join(str(values["title"] or "").split())
        if not title or len(title) > 200:
            raise ValidationError({"title": "A title of 1 to 200 characters is needed."})
        checked["title"] = title
    if "owner" in values:
        checked["owner"] = _owner(postmortem, values["owner"])
    due = values.get("due_date")
    if due is not None and (not isinstance(due, date) or not 2000 <= due.year <= 2100):
        raise ValidationError({"due_date": "A date between 2000 and 2100."})
    if values.get("status") not in (None, *ActionItem.Status.values):
        raise ValidationError({"status": "open, done or dropped."})
    if values.get("tracker_url"):
        try:
            inputs.validate_http_url(values["tracker_url"])
        except ValidationError:
            raise ValidationError({"tracker_url": "An http(s) URL, or nothing."}) from None
    return checked


@changes_pages
def add_action_item(postmortem: Postmortem, *, actor, **values) -> ActionItem:
    require(actor, can_edit, postmortem, message=EDIT_DENIED)
    checked = _checked(postmortem, {"title": "", **values})
    item = ActionItem.objects.create(postmortem=postmortem, **checked)
    if item.owner_id:
        events.record(Event.Kind.ACTION_ASSIGNED, postmortem, actor=actor, action_item=item)
    pagecache.touch([postmortem.pk])
    return item


@changes_pages
def change_action_item(item: ActionItem, *, actor, **values) -> ActionItem:
    require(actor, can_edit, item.postmortem, message=EDIT_DENIED)
    owner_before = item.owner_id
    for name, value in _checked(item.postmortem, values).items():
        setattr(item, name, value)
    item.save()
    if item.owner_id and item.owner_id != owner_before:
        events.record(Event.Kind.ACTION_ASSIGNED, item.postmortem, actor=actor, action_item=item)
    pagecache.touch([item.postmortem_id])
    return item


# --- Runbooks used (with verdicts) and linked alerts ------------------------------------------


def revision_at(runbook: Runbook, moment) -> Revision:
    """The revision that was current at `moment` (the incident's start), else the current one."""
    if moment is not None:
        earlier = runbook.revisions.filter(created_at__lte=moment).order_by("-number").first()
        if earlier is not None:
            return earlier
    return runbook.current_revision


def _use(actor, postmortem: Postmortem, use: dict) -> RunbookUse:
    visible = Runbook.objects.visible_to(actor) if actor is not SYSTEM else Runbook.objects
    runbook = use.get("runbook")
    runbook = visible.filter(slug=runbook).first() if isinstance(runbook, str) else runbook
    if runbook is None or not visible.filter(pk=runbook.pk).exists():
        raise ValidationError({"runbooks_used": f"There is no runbook {use.get('runbook')!r}."})
    number = use.get("revision")
    revision = (
        runbook.revisions.filter(number=number).first()
        if number is not None
        else revision_at(runbook, postmortem.incident_start)
    )
    if revision is None:
        raise ValidationError({"runbooks_used": f"{runbook.slug} has no revision {number}."})
    if use.get("verdict", "") not in ("", *RunbookUse.Verdict.values):
        raise ValidationError({"runbooks_used": "Each verdict is helped, outdated or wrong."})
    return RunbookUse(
        postmortem=postmortem, runbook=runbook, revision=revision, verdict=use["verdict"]
    )


@changes_pages
def set_runbooks_used(postmortem: Postmortem, uses: list[dict], *, actor) -> list[RunbookUse]:
    """Replace the runbooks used, each pinned to a revision with a verdict. An `outdated` or
    `wrong` verdict on a runbook's current revision marks that runbook for review."""
    require(actor, can_edit, postmortem, message=EDIT_DENIED)
    checked = [_use(actor, postmortem, use) for use in uses]
    if len({use.runbook.pk for use in checked}) != len(checked):
        raise ValidationError({"runbooks_used": "Name each runbook once."})
    touched = set(postmortem.runbook_uses.values_list("runbook_id", flat=True))
    postmortem.runbook_uses.all().delete()
    RunbookUse.objects.bulk_create(checked)
    for runbook_id in touched | {use.runbook.pk for use in checked}:
        count = RunbookUse.objects.filter(runbook_id=runbook_id).count()
        Runbook.objects.filter(pk=runbook_id).update(incident_uses=count)
    count_verdicts(postmortem)
    pagecache.touch([postmortem.pk, *touched, *(use.runbook.pk for use in checked)])
    return checked


# --- When a verdict counts ---------------------------------------------------------------------
#
# An `outdated` or `wrong` verdict on a runbook's current revision puts the runbook up for
# review once the runbook's provider may read the post-mortem (`visible_to_provider`): at once
# for the provider's own post-mortems, drafts included; for another provider's, when it is
# released to them (published community or public, out of any embargo). A community runbook's
# editors are everyone's, so a verdict on it counts once every signed-in user may read it.
# Another provider's draft never makes anyone's runbook "review overdue".

BAD_VERDICTS = (RunbookUse.Verdict.OUTDATED, RunbookUse.Verdict.WRONG)


def verdict_readers(postmortem, at=None) -> set[int]:
    """The runbooks `postmortem` judges outdated or wrong on their current revision whose
    provider may read it (at `at`, the present unless said): where its verdicts count."""
    judged = RunbookUse.objects.filter(
        postmortem_id=postmortem.pk,
        verdict__in=BAD_VERDICTS,
        revision_id=F("runbook__current_revision_id"),
    ).values_list("runbook_id", "runbook__provider_id")
    return {
        runbook_id
        for runbook_id, provider_id in judged
        if Postmortem.objects.visible_to_provider(provider_id, now=at)
        .filter(pk=postmortem.pk)
        .exists()
    }


def count_verdicts(postmortem, *, before: Iterable[int] = (), when=None) -> None:
    """Put up for review, as of `when` (now unless said), each runbook whose provider may now
    read `postmortem`'s verdict on it and could not `before` — unless it was reviewed since
    (so running this twice changes nothing)."""
    runbooks = verdict_readers(postmortem) - set(before)
    put_up_for_review(
        runbooks, when=when or timezone.now(), reason=ReviewReason.VERDICT, source=postmortem
    )


@contextmanager
def verdicts_follow(postmortem):
    """Around a change of who may read `postmortem` (its status, visibility): the verdicts
    it makes readable to a runbook's provider count from now (registered for the kind in
    `services/kinds.py`)."""
    before = verdict_readers(postmortem)
    yield
    count_verdicts(postmortem, before=before)


def count_lifted_verdicts(now=None, within: timedelta = timedelta(days=1)) -> None:
    """Periodic: the verdicts of post-mortems whose embargo ended lately count from the moment
    it ended, for the runbooks whose provider could not read them before."""
    for postmortem, just_before in lifted_lately(Postmortem, now or timezone.now(), within):
        before = verdict_readers(postmortem, at=just_before)
        count_verdicts(postmortem, before=before, when=postmortem.embargo_until)


@changes_pages
def set_linked_alerts(postmortem: Postmortem, alert_ids: list[int], *, actor) -> None:
    """Link alerts the actor may see that the post-mortem's provider received."""
    require(actor, can_edit, postmortem, message=EDIT_DENIED)
    alerts = Alert.objects.visible_to(actor) if actor is not SYSTEM else Alert.objects.all()
    found = list(alerts.filter(pk__in=alert_ids, provider_id=postmortem.provider_id))
    if len(found) != len(set(alert_ids)):
        raise ValidationError({"alerts": "Only alerts your provider received can be linked."})
    postmortem.alerts.set(found)
    pagecache.touch([postmortem.pk])
