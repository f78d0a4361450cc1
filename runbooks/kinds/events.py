"""Every kind of event, registered once; ask `EVENT_KINDS[event.kind]`.

What each kind is: who is told (the reasons, each a rule of `services/notifications.py`), what
its notification says (a mail subject of its own, an excerpt), whether it is a change that
`/changes/` and the feeds list, when it says nothing any more, and where its link goes. The
notifications, `/changes/`, the feeds, the chat rooms and the templates (`{% load events %}`)
ask here instead of testing `event.kind == …`; a new kind of event adds an entry here.

Only models and the pure modules are imported: every layer above may ask."""

from collections.abc import Callable
from dataclasses import dataclass

from runbooks import diffing, links, markdown
from runbooks.models import ActionItem, Event, Notification, Runbook

Reason = Notification.Reason
EXCERPT = 300  # characters of a comment or of the text
DIFF_LINES = 12  # changed lines of a revision


# --- What a notification quotes ---------------------------------------------------------------


def _text(event: Event) -> str:
    revision = event.document.current_revision
    return markdown.text_of(revision.html)[:EXCERPT] if revision else ""


def _comment(event: Event) -> str:
    return markdown.text_of(event.comment.html)[:EXCERPT]


def _short_diff(event: Event) -> str:
    """The lines the revision changed (at most DIFF_LINES), else the text."""
    revision = event.revision
    if revision is None:
        return _text(event)
    parent = (
        event.document.revisions.filter(number=revision.parent).first() if revision.parent else None
    )
    before = parent.body if parent else ""
    lines = [
        line
        for line in diffing.unified(before, revision.body, "", "", context=0).splitlines()[2:]
        if line[:1] in "+-"
    ]
    more = f"\n… {len(lines) - DIFF_LINES} more changed lines" if len(lines) > DIFF_LINES else ""
    return "\n".join(line[:200] for line in lines[:DIFF_LINES]) + more


def _action_item(event: Event) -> str:
    item = event.action_item
    due = f" (due {item.due_date:%Y-%m-%d})" if item.due_date else ""
    return f"{item.title}{due}"


def _review_age(event: Event) -> str:
    runbook = Runbook.objects.filter(pk=event.document_id).first()
    age = runbook.review_age_days if runbook else None
    return f"Last reviewed {age} days ago." if age is not None else "Never reviewed."


# --- When it says nothing any more ------------------------------------------------------------


def _comment_removed(event: Event) -> bool:
    comment = event.comment
    return comment is None or comment.hidden_at is not None or comment.deleted_at is not None


def _item_closed(event: Event) -> bool:
    return event.action_item.status != ActionItem.Status.OPEN


@dataclass(frozen=True)
class EventKind:
    kind: str
    # Who is told: reasons in order, each a rule of services/notifications.py; a person a
    # later rule names is told for that reason.
    told: tuple[str, ...] = ()
    subject: str = ""  # the mail's subject when not "who did what" ({title}: the document's)
    excerpt: Callable[[Event], str] = _text  # what a notification quotes
    # A new revision: lists show its number and message, its excerpt is a diff (shown
    # preformatted), its link the diff from the revision before (when there is one).
    of_revision: bool = False
    of_comment: bool = False  # its link goes to the comment
    change: bool = False  # listed on /changes/ and in the feeds
    # Says nothing any more (nobody is told, no room is sent it): e.g. its comment removed.
    silenced: Callable[[Event], bool] = lambda event: False


def _register(*kinds: EventKind) -> dict[str, EventKind]:
    return {spec.kind: spec for spec in kinds}


EVENT_KINDS = _register(
    EventKind(
        Event.Kind.REVISION,
        told=(Reason.WATCHING,),
        excerpt=_short_diff,
        of_revision=True,
        change=True,
    ),
    EventKind(Event.Kind.PUBLISHED, told=(Reason.WATCHING,), change=True),
    EventKind(Event.Kind.REVIEW_REQUESTED, told=(Reason.COLLEAGUE,)),
    EventKind(
        Event.Kind.COMMENT,
        told=(Reason.WATCHING, Reason.REPLIED, Reason.MENTIONED),
        excerpt=_comment,
        of_comment=True,
        silenced=_comment_removed,
    ),
    EventKind(
        Event.Kind.ACTION_ASSIGNED,
        told=(Reason.ASSIGNED,),
        excerpt=_action_item,
        silenced=_item_closed,
    ),
    EventKind(
        Event.Kind.ACTION_OVERDUE,
        told=(Reason.ASSIGNED,),
        subject="Overdue action item in “{title}”",
        excerpt=_action_item,
        silenced=_item_closed,
    ),
    EventKind(
        Event.Kind.STALE_FIRED,
        told=(Reason.EDITOR,),
        subject="Alert fired on “{title}”, which is due for review",
        excerpt=_review_age,
    ),
    EventKind(Event.Kind.REVIEWED),
)


# --- Links ------------------------------------------------------------------------------------


def place(event: Event) -> str:
    """Where the event happened: its document's page, at the comment for a comment."""
    url = event.document.get_absolute_url()
    if EVENT_KINDS[event.kind].of_comment and event.comment_id:
        return f"{url}#comment-{event.comment_id}"
    return url


def diff_url(event: Event) -> str:
    """The diff a new revision made (from the one before); empty for a first revision and
    for every other kind of event."""
    revision = event.revision if EVENT_KINDS[event.kind].of_revision else None
    if revision is None or revision.number < 2:
        return ""
    return links.diff(event.document.kind, event.document.slug, revision.number)


def link(event: Event) -> str:
    """What a mail or a feed links an event to: the diff of a new revision, else its place."""
    return diff_url(event) or place(event)
