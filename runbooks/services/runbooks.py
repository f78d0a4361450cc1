"""What only runbooks do: being reviewed."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from runbooks.models import Runbook
from runbooks.visibility import can_edit

from .base import require


@transaction.atomic
def mark_reviewed(runbook: Runbook, *, actor, when: datetime | None = None) -> Runbook:
    """Record that someone checked the runbook is still right."""
    require(actor, can_edit, runbook, message="You may read this runbook but not review it.")
    runbook.reviewed_at = when or timezone.now()
    runbook.review_due_at = runbook.compute_review_due()
    runbook.save(update_fields=["reviewed_at", "review_due_at", "updated_at"])
    return runbook
