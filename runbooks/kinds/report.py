"""Experience reports: drafts until published, like post-mortems; an environment (key/value
pairs), an outcome, and the runbook and revision they concern."""

import re

from django import forms
from django.core.exceptions import ValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from runbooks.choices import Kind, Status, Visibility
from runbooks.models import Outcome, Report, Runbook

from .base import DetailField, KindSpec, Relation

MAX_KEYS = 20
MAX_KEY = 40
MAX_VALUE = 100
KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
# Offered in the form beside the keys reports here already use.
COMMON_KEYS = ("scs_release", "openstack", "ceph", "kubernetes", "os", "kernel")

BODY_TEMPLATE = """## What we did

Which steps of the runbook, in which order.

## What happened

## What we would change in the runbook
"""


def _environment(value) -> dict[str, str]:
    """Key/value pairs from a dict (API) or `key: value` lines (form), checked and tidied."""
    if isinstance(value, str):
        pairs = []
        for line in value.splitlines():
            if line.strip():
                key, sep, val = line.partition(":")
                if not sep:
                    raise ValidationError({"environment": f"Write “key: value”, not {line!r}."})
                pairs.append((key, val))
    elif isinstance(value, dict):
        pairs = list(value.items())
    else:
        raise ValidationError({"environment": 'Key/value pairs, e.g. {"ceph": "18.2"}.'})
    if len(pairs) > MAX_KEYS:
        raise ValidationError({"environment": f"At most {MAX_KEYS} keys."})
    environment = {}
    for key, val in pairs:
        key, val = str(key).strip(), " ".join(str(val).split())
        if not KEY.fullmatch(key) or len(key) > MAX_KEY:
            raise ValidationError(
                {"environment": f"Keys are letters, digits, _ . - (at most {MAX_KEY}): {key!r}."}
            )
        if not val or len(val) > MAX_VALUE:
            raise ValidationError(
                {"environment": f"Each value has 1 to {MAX_VALUE} characters ({key})."}
            )
        environment[key.lower()] = val
    return environment


def known_keys(user) -> list[str]:
    """Environment keys to suggest to `user`: the common ones and those the reports `user`
    may read use (another provider's drafts and private reports name nothing here)."""
    visible = Report.objects.visible_to(user).exclude(environment={})
    used = visible.order_by("-updated_at", "-pk").values_list("environment", flat=True)[:500]
    keys = dict.fromkeys([*COMMON_KEYS, *(key for env in used for key in env)])
    return list(keys)[:30]


class EnvironmentField(forms.CharField):
    """`key: value` per line; the help text names the keys already in use, once the form
    knows who reads it (`show_to`)."""

    widget = forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "class": "short"})
    HELP = "One “key: value” per line."

    def __init__(self, **kwargs):
        kwargs = {"required": False, "max_length": 4000, "label": "Environment", **kwargs}
        super().__init__(help_text=self.HELP, **kwargs)

    def show_to(self, user) -> None:
        self.help_text = f"{self.HELP} Keys in use: {', '.join(known_keys(user))}."


def sees_subject(user, report: Report, cache: dict) -> bool:
    """May `user` see the runbook `report` concerns? (A report may outlive its runbook's
    audience: a runbook made provider-only later is named to nobody else.)"""
    if not report.subject_id:
        return False
    if report.subject_id not in cache:
        visible = Runbook.objects.visible_to(user).filter(pk=report.subject_id).exists()
        cache[report.subject_id] = visible
    return cache[report.subject_id]


class _Subject(serializers.Field):
    """A part of the report's runbook for the caller who may see that runbook, else null."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, allow_null=True, **kwargs)

    def to_representation(self, report):
        cache = self.context.setdefault("visible_runbooks", {})
        user = self.context["request"].user
        return self.part(report) if sees_subject(user, report, cache) else None


@extend_schema_field(OpenApiTypes.STR)
class SubjectSlug(_Subject):
    def part(self, report):
        return report.subject.slug


@extend_schema_field(OpenApiTypes.INT)
class SubjectRevision(_Subject):
    def part(self, report):
        return report.subject_revision.number if report.subject_revision_id else None


REPORT = KindSpec(
    kind=Kind.REPORT,
    label="Experience report",
    model=Report,
    url_prefix="reports",
    default_status=Status.DRAFT,
    default_visibility=Visibility.COMMUNITY,
    fields=(
        DetailField(
            "outcome",
            lambda: forms.ChoiceField(
                choices=[("", "—"), *Outcome.choices], required=False, label="Outcome"
            ),
            lambda **kw: serializers.ChoiceField(choices=Outcome.choices, allow_blank=True, **kw),
        ),
        DetailField(
            "environment",
            EnvironmentField,
            lambda **kw: serializers.DictField(
                child=serializers.CharField(max_length=MAX_VALUE), **kw
            ),
            tidy=_environment,
            form_value=lambda env: "\n".join(f"{k}: {v}" for k, v in sorted(env.items())),
        ),
    ),
    relations=(
        Relation(
            "runbook",
            lambda **kw: serializers.CharField(max_length=200, allow_blank=True, **kw),
            SubjectSlug,
            form_field=lambda: forms.SlugField(
                max_length=200,
                required=False,
                label="Runbook (slug)",
                help_text="The runbook this report is about, e.g. ceph-osd-down.",
            ),
            form_value=lambda report: report.subject.slug if report.subject_id else "",
        ),
        Relation(
            "runbook_revision",
            lambda **kw: serializers.IntegerField(
                min_value=1, max_value=2**31 - 1, allow_null=True, **kw
            ),
            SubjectRevision,
            form_field=lambda: forms.IntegerField(
                min_value=1,
                max_value=2**31 - 1,
                required=False,
                label="Runbook revision",
                help_text="Empty: its current revision.",
            ),
            form_value=lambda report: (
                report.subject_revision.number if report.subject_revision_id else None
            ),
        ),
    ),
    api_prefetch=("subject", "subject_revision"),
    select_related=("subject", "subject_revision"),
    parts={"meta": "documents/report/_meta.html"},
    body_template=BODY_TEMPLATE,
)
