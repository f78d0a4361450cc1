"""What only experience reports have: the runbook and revision they concern. Both are set by
those who may edit the report, and only to a runbook the actor may see."""

from contextlib import contextmanager
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone

from runbooks import pagecache
from runbooks.actors import SYSTEM
from runbooks.models import Outcome, Report, ReviewReason, Runbook
from runbooks.visibility import can_edit

from .base import changes_pages, require
from .reviews import lifted_lately, put_up_for_review

EDIT_DENIED = "You may read this report but not change it."


def _visible_runbook(actor, slug) -> Runbook:
    runbooks = Runbook.objects if actor is SYSTEM else Runbook.objects.visible_to(actor)
    runbook = runbooks.filter(slug=slug).select_related("current_revision").first()
    if runbook is None:
        raise ValidationError({"runbook": f"There is no runbook {slug!r}."})
    return runbook


@changes_pages
def set_runbook(report: Report, slug: str | None, *, actor) -> None:
    """The runbook the report concerns, at its current revision (`set_runbook_revision` may
    name an older one next); None or "" for none."""
    require(actor, can_edit, report, message=EDIT_DENIED)
    runbook = _visible_runbook(actor, slug) if slug else None
    before = report.subject_id  # its page counts its reports
    report.subject = runbook
    report.subject_revision = runbook.current_revision if runbook else None
    report.save(update_fields=["subject", "subject_revision"])
    pagecache.touch([report.pk, before, report.subject_id])
    count_failure(report)


@changes_pages
def set_runbook_revision(report: Report, number: int | None, *, actor) -> None:
    """The revision of the report's runbook it concerns; None for the current one."""
    require(actor, can_edit, report, message=EDIT_DENIED)
    report = Report.objects.select_related("subject").get(pk=report.pk)
    if report.subject is None:
        if number is None:
            return
        raise ValidationError({"runbook_revision": "Name the runbook first."})
    runbook = report.subject
    revision = (
        runbook.current_revision
        if number is None
        else runbook.revisions.filter(number=number).first()
    )
    if revision is None:
        raise ValidationError({"runbook_revision": f"{runbook.slug} has no revision {number}."})
    Report.objects.filter(pk=report.pk).update(subject_revision=revision)
    pagecache.touch([report.pk, runbook.pk])
    count_failure(report)


# --- When a failure counts ---------------------------------------------------------------------
#
# A report that the runbook failed on its current revision puts the runbook up for review, like
# an `outdated` verdict, once the runbook's provider may read the report (`visible_to_provider`).


def failure_readers(report, at=None) -> set[int]:
    """The runbook `report` says failed on its current revision, if the runbook's provider may
    read the report (at `at`, the present unless said): where its failure counts."""
    failed = Report.objects.filter(
        pk=report.pk,
        outcome=Outcome.FAILED,
        subject_revision_id=F("subject__current_revision_id"),
    ).values_list("subject_id", "subject__provider_id")
    return {
        runbook_id
        for runbook_id, provider_id in failed
        if Report.objects.visible_to_provider(provider_id, now=at).filter(pk=report.pk).exists()
    }


def count_failure(report, *, before=(), when: datetime | None = None) -> None:
    """Put the report's runbook up for review if its failure counts now and did not `before`."""
    runbooks = failure_readers(report) - set(before)
    put_up_for_review(
        runbooks, when=when or timezone.now(), reason=ReviewReason.REPORT, source=report
    )


@contextmanager
def failures_follow(report):
    """Around a change of the report's outcome or of who may read it (registered for the kind
    in `services/kinds.py`): a failure it makes readable to the runbook's provider counts."""
    before = failure_readers(report)
    yield
    count_failure(report, before=before)


def count_lifted_failures(now=None, within: timedelta = timedelta(days=1)) -> None:
    """Periodic: the failures told by reports whose embargo ended lately count from the moment
    it ended, for the runbooks whose provider could not read them before."""
    for report, just_before in lifted_lately(Report, now or timezone.now(), within):
        before = failure_readers(report, at=just_before)
        count_failure(report, before=before, when=report.embargo_until)
