"""What makes a runbook's review due before its interval runs out: a post-mortem's verdict or a
failed experience report on its current revision. Only a review (`runbooks.mark_reviewed`)
clears it; an alert or a new interval never does (`Runbook.reschedule_review`)."""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import Q

from runbooks import pagecache
from runbooks.choices import RELEASED_STATUSES
from runbooks.models import Document, ReviewReason, Runbook


def put_up_for_review(
    runbook_ids: Iterable[int], *, when: datetime, reason: ReviewReason, source: Document
) -> None:
    """Make these runbooks' review due at `when`, because of `source` — unless one was
    reviewed since or is already due by then (so running this twice changes nothing)."""
    due = Runbook.objects.filter(pk__in=list(runbook_ids)).exclude(reviewed_at__gte=when)
    due = due.filter(Q(review_due_at__isnull=True) | Q(review_due_at__gt=when))
    pagecache.touch(list(due.values_list("pk", flat=True)))
    due.update(review_due_at=when, review_due_reason=reason, review_due_source=source.pk)


def lifted_lately(model, now: datetime, within: timedelta):
    """Released documents of `model` whose embargo ended in the `within` before `now`, each
    with the instant just before it ended (who could read it then)."""
    lifted = model.objects.filter(
        status__in=RELEASED_STATUSES, embargo_until__lte=now, embargo_until__gt=now - within
    )
    return ((document, document.embargo_until - timedelta(microseconds=1)) for document in lifted)
