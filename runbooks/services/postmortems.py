"""What only post-mortems have: action items (title, owner, due date, status, tracker URL),
kept outside the revision history and changed by those who may edit the post-mortem."""

from datetime import date

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from runbooks import inputs
from runbooks.models import ActionItem, Postmortem, roles_of
from runbooks.visibility import can_edit

from .base import require

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


@transaction.atomic
def add_action_item(postmortem: Postmortem, *, actor, **values) -> ActionItem:
    require(actor, can_edit, postmortem, message=EDIT_DENIED)
    checked = _checked(postmortem, {"title": "", **values})
    return ActionItem.objects.create(postmortem=postmortem, **checked)


@transaction.atomic
def change_action_item(item: ActionItem, *, actor, **values) -> ActionItem:
    require(actor, can_edit, item.postmortem, message=EDIT_DENIED)
    for name, value in _checked(item.postmortem, values).items():
        setattr(item, name, value)
    item.save()
    return item
