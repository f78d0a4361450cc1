"""Runbooks: a component, a review cycle, alert routes and the alert banner on their page."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework import serializers

from runbooks import placeholders
from runbooks.choices import Kind, Status, Visibility
from runbooks.filters import RunbookFilter
from runbooks.models import Runbook
from runbooks.models.runbooks import CRITICAL_REVIEW_DAYS

from .base import DetailField, KindSpec


def _started_review(runbook: Runbook) -> None:
    runbook.reviewed_at = timezone.now()
    runbook.review_due_at = runbook.compute_review_due()


def _interval(runbook: Runbook) -> None:
    """A runbook critical alerts open is looked at at least every 90 days."""
    if runbook.critical_since and runbook.review_interval_days > CRITICAL_REVIEW_DAYS:
        raise ValidationError(
            {
                "review_interval_days": f"At most {CRITICAL_REVIEW_DAYS} days: critical alerts "
                "open this runbook."
            }
        )


def _derived(runbook: Runbook, changed: set[str]) -> set[str]:
    if "review_interval_days" in changed:
        return set(runbook.reschedule_review())
    return set()


RUNBOOK = KindSpec(
    kind=Kind.RUNBOOK,
    label="Runbook",
    model=Runbook,
    url_prefix="runbooks",
    default_status=Status.PUBLISHED,
    default_visibility=Visibility.PUBLIC,
    fields=(
        DetailField(
            "component",
            lambda: forms.CharField(
                max_length=100, required=False, help_text="e.g. nova, ceph, kubernetes, network."
            ),
            lambda **kw: serializers.CharField(max_length=100, allow_blank=True, **kw),
            tidy=lambda value: value.strip(),
        ),
        DetailField(
            "review_interval_days",
            lambda: forms.IntegerField(
                min_value=1, max_value=3650, initial=180, label="Review every (days)"
            ),
            lambda **kw: serializers.IntegerField(min_value=1, max_value=3650, **kw),
            placement="tail",
        ),
        DetailField(
            placeholders.FIELD,
            lambda: forms.CharField(
                required=False,
                max_length=4000,
                label="Placeholders filled from other labels",
                help_text="One “PLACEHOLDER: label” a line, e.g. OSD: ceph_daemon, for a "
                "placeholder whose alert label has another name. One named like its label "
                "($HOSTNAME, {{ $labels.hostname }}) needs none.",
                widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "class": "short"}),
            ),
            lambda **kw: serializers.DictField(
                child=serializers.CharField(max_length=placeholders.MAX_NAME), **kw
            ),
            tidy=placeholders.checked_mapping,
            form_value=placeholders.mapping_lines,
            placement="tail",
        ),
    ),
    api_read_only={
        "reviewed_at": None,
        "stale": lambda: serializers.BooleanField(read_only=True),
    },
    parts={
        "banner": "documents/runbook/_banner.html",
        "meta": "documents/runbook/_meta.html",
        "offline_meta": "offline/_runbook_meta.html",
        "offline_banner": "offline/_alert_banner.html",
        "status": "documents/runbook/_status.html",
        "actions": "documents/runbook/_actions.html",
        "body": "documents/runbook/_body.html",
        "after": "documents/runbook/_after.html",
        "filters": "documents/runbook/_filters.html",
        "history": "documents/runbook/_route_history.html",
    },
    filterset=RunbookFilter,
    routable=True,
    on_create=_started_review,
    check=_interval,
    on_change=_derived,
)
