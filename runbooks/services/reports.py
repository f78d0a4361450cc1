"""What only experience reports have: the runbook and revision they concern. Both are set by
those who may edit the report, and only to a runbook the actor may see."""

from django.core.exceptions import ValidationError

from runbooks import pagecache
from runbooks.actors import SYSTEM
from runbooks.models import Report, Runbook
from runbooks.visibility import can_edit

from .base import changes_pages, require

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
