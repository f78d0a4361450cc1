"""What only runbooks do: being reviewed."""

from datetime import datetime

from django.utils import timezone

from runbooks import pagecache
from runbooks.choices import Kind
from runbooks.models import Event, ReviewReason, Runbook
from runbooks.visibility import can_edit

from . import events
from .base import changes_pages, require
from .documents import create_document
from .routes import save_route


@changes_pages
def create_runbook(*, actor, alertname: str = "", matchers=(), **fields) -> Runbook:
    """Create a runbook; with `alertname`, also the route that makes `/r/<alertname>` open it
    (scoped to the runbook's provider, or a community route for a community runbook; only for
    alerts whose labels match `matchers`, when given), so the link that found nothing resolves
    at once. Both, or neither."""
    runbook = create_document(actor=actor, **{"kind": Kind.RUNBOOK, **fields})
    if alertname.strip():
        save_route(
            actor=actor,
            alertname=alertname,
            runbook=runbook,
            provider=runbook.provider,
            matchers=matchers,
        )
    return runbook


@changes_pages
def mark_reviewed(runbook: Runbook, *, actor, when: datetime | None = None) -> Runbook:
    """Record that someone checked the runbook is still right."""
    require(actor, can_edit, runbook, message="You may read this runbook but not review it.")
    runbook.reviewed_at = when or timezone.now()
    runbook.review_due_reason = ReviewReason.TIME  # a review answers what made it due
    fields = runbook.reschedule_review()
    runbook.save(update_fields=["reviewed_at", *fields, "updated_at"])
    events.record(Event.Kind.REVIEWED, runbook, actor=actor)
    pagecache.touch([runbook.pk])
    return runbook
