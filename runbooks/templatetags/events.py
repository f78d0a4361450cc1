"""What templates ask about an event, from its kind's registry entry (`runbooks.kinds.events`)
instead of testing `event.kind`."""

from django import template

from runbooks.kinds import events

register = template.Library()


@register.filter
def event_kind(event) -> events.EventKind:
    """The event's kind: `{% with about=event|event_kind %}{% if about.of_revision %}…`."""
    return events.EVENT_KINDS[event.kind]


@register.filter
def event_place(event) -> str:
    """Where it happened: the document's page, at the comment for a comment."""
    return events.place(event)


@register.filter
def event_diff_url(event) -> str:
    """The diff a new revision made, or empty."""
    return events.diff_url(event)
