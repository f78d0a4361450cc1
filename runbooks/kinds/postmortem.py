"""Post-mortems: drafts private to their provider until published, with the incident's window,
severity and affected services, and a text that starts from the sections of a blameless
post-mortem."""

from datetime import UTC, datetime

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Prefetch
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework import serializers

from runbooks import inputs
from runbooks.choices import Kind, Status, Visibility
from runbooks.models import ActionItem, Alert, Postmortem, Runbook, RunbookUse, Severity

from .base import DetailField, KindSpec, Relation

MAX_SERVICES = 20
LOCAL_INPUT = "%Y-%m-%dT%H:%M"

BODY_TEMPLATE = """## Summary

What happened, in two or three sentences.

## Impact

Who noticed what, for how long; which services and how many customers.

## Timeline

All times UTC.

- HH:MM — first alert
- HH:MM — resolved

## Root cause

## Trigger

## Resolution

## Detection

How we found out, and how we could have found out sooner.

## Lessons learned

### What went well

### What went wrong

### Where we got lucky
"""


def _services(value) -> list[str]:
    """Affected services from a list (API) or comma-separated text (form), tidied."""
    items = value.split(",") if isinstance(value, str) else value
    services = list(dict.fromkeys(" ".join(str(item).split()) for item in items))
    services = [service for service in services if service]
    if len(services) > MAX_SERVICES or any(len(service) > 100 for service in services):
        raise ValidationError(
            {"affected_services": f"At most {MAX_SERVICES} services of 100 characters each."}
        )
    return services


def _status_url(value: str) -> str:
    value = value.strip()
    try:
        inputs.validate_http_url(value)
    except ValidationError:
        raise ValidationError(
            {"status_incident_url": "Give the incident's http(s) address on the status page."}
        ) from None
    return value


def _status_id(value: str) -> str:
    """The status page's id of the incident (a UUID in status-page-openapi): one line."""
    value = " ".join(value.split())
    if len(value) > 100:
        raise ValidationError({"status_incident_id": "At most 100 characters."})
    return value


class ActionItemSerializer(serializers.ModelSerializer):
    """How an action item reads (DESIGN §8): the owner by username."""

    owner = serializers.CharField(source="owner.username", read_only=True, allow_null=True)
    tracker_url = serializers.CharField(read_only=True, help_text="An http(s) URL, or empty.")

    class Meta:
        model = ActionItem
        fields = ["id", "title", "owner", "due_date", "status", "tracker_url"]
        read_only_fields = fields


class RunbookUseSerializer(serializers.Serializer):
    """A runbook used in the incident: its slug, the revision read (default: the one current
    when the incident started) and the verdict."""

    runbook = serializers.CharField(max_length=200)
    revision = serializers.IntegerField(min_value=1, max_value=2**31 - 1, required=False)
    verdict = serializers.ChoiceField(
        choices=RunbookUse.Verdict.choices, allow_blank=True, help_text="Empty: not judged yet."
    )


def readable_uses(user, uses) -> list[RunbookUse]:
    """The runbooks used that `user` may see: what the page lists and the API names (a
    post-mortem may outlive its runbooks' audience, or name a provider's private runbook)."""
    return _readable(user, list(uses), Runbook, lambda use: use.runbook_id)


def readable_alerts(user, alerts) -> list[Alert]:
    """The linked alerts `user` may see (members of the receiving provider, and staff)."""
    return _readable(user, list(alerts), Alert, lambda alert: alert.pk)


def _readable(user, rows: list, model, key) -> list:
    """`rows` whose object (`key`) `model.objects.visible_to(user)` holds: from the `readable`
    annotation when the rows were fetched with it (the API's prefetch), else one query."""
    if all(hasattr(row, "readable") for row in rows):
        return [row for row in rows if row.readable]
    ids = {key(row) for row in rows}
    visible = set(model.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))
    return [row for row in rows if key(row) in visible]


def _uses_read_by(user) -> Prefetch:
    """The runbooks used, each marked `readable` by `user` (lists cost no query per item)."""
    visible = Runbook.objects.visible_to(user).filter(pk=OuterRef("runbook_id"))
    uses = RunbookUse.objects.select_related("runbook", "revision")
    return Prefetch("runbook_uses", queryset=uses.annotate(readable=Exists(visible)))


def _alerts_read_by(user) -> Prefetch:
    """The linked alerts, each marked `readable` by `user`."""
    visible = Alert.objects.visible_to(user).filter(pk=OuterRef("pk")).values("pk")
    return Prefetch("alerts", queryset=Alert.objects.annotate(readable=Exists(visible)))


def _caller(context):
    return context["request"].user


class ReadableUses(serializers.ListSerializer):
    """Only the runbooks used that the caller may see, like the page."""

    def to_representation(self, data):
        uses = data.all() if isinstance(data, models.manager.BaseManager) else data
        return super().to_representation(readable_uses(_caller(self.context), uses))


class RunbookUseReadSerializer(serializers.Serializer):
    runbook = serializers.CharField(source="runbook.slug", read_only=True)
    revision = serializers.IntegerField(source="revision.number", read_only=True)
    verdict = serializers.CharField(read_only=True)

    class Meta:
        list_serializer_class = ReadableUses


class ReadableAlerts(serializers.ManyRelatedField):
    """Only the ids of the linked alerts the caller may see, like the page."""

    def to_representation(self, iterable):
        alerts = readable_alerts(_caller(self.context), iterable)
        return super().to_representation(alerts)


class LinkedAlertField(serializers.PrimaryKeyRelatedField):
    @classmethod
    def many_init(cls, *args, **kwargs):
        return ReadableAlerts(child_relation=cls(read_only=True), **kwargs)


def _window(postmortem: Postmortem) -> None:
    """The incident ends after it starts, and neither lies in the future."""
    start, end, now = postmortem.incident_start, postmortem.incident_end, timezone.now()
    if start and end and end < start:
        raise ValidationError({"incident_end": "The incident ends before it starts."})
    for name, moment in (("incident_start", start), ("incident_end", end)):
        if moment and moment > now + timezone.timedelta(minutes=5):
            raise ValidationError({name: "This lies in the future."})


def _as_moment(name: str):
    """A datetime from a form, the API or a caller's text (ISO 8601); naive means UTC."""

    def tidy(value):
        try:
            moment = parse_datetime(value) if isinstance(value, str) else value
        except ValueError:  # well-formed but impossible, e.g. month 13
            moment = None
        if not isinstance(moment, datetime):
            raise ValidationError({name: "Give a date and time, e.g. 2026-11-20T02:10:00Z."})
        moment = moment if timezone.is_aware(moment) else timezone.make_aware(moment, UTC)
        return inputs.storable_moment(moment, name)

    return tidy


def _moment(label: str) -> DetailField:
    name = label.lower().replace(" ", "_")
    return DetailField(
        name,
        lambda: forms.DateTimeField(
            label=label + " (UTC)",
            required=False,
            input_formats=[LOCAL_INPUT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
            widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT),
        ),
        lambda **kw: serializers.DateTimeField(allow_null=True, **kw),
        tidy=_as_moment(name),
    )


POSTMORTEM = KindSpec(
    kind=Kind.POSTMORTEM,
    label="Post-mortem",
    model=Postmortem,
    url_prefix="postmortems",
    default_status=Status.DRAFT,
    default_visibility=Visibility.COMMUNITY,
    fields=(
        _moment("Incident start"),
        _moment("Incident end"),
        DetailField(
            "severity",
            lambda: forms.ChoiceField(
                choices=[("", "—"), *Severity.choices], required=False, label="Severity"
            ),
            lambda **kw: serializers.ChoiceField(
                choices=Severity.choices, allow_blank=True, allow_null=True, **kw
            ),
        ),
        DetailField(
            "affected_services",
            lambda: forms.CharField(
                required=False,
                max_length=2000,
                help_text="Comma-separated, e.g. block storage, compute API.",
            ),
            lambda **kw: serializers.ListField(
                child=serializers.CharField(max_length=100), max_length=MAX_SERVICES, **kw
            ),
            tidy=_services,
            form_value=", ".join,
        ),
        DetailField(
            "status_incident_url",
            lambda: forms.URLField(
                required=False,
                max_length=2000,
                assume_scheme="https",
                label="Status-page incident (URL)",
                help_text="The incident on your status page that this post-mortem explains.",
            ),
            lambda **kw: serializers.CharField(
                allow_blank=True, allow_null=True, max_length=2000, **kw
            ),
            tidy=_status_url,
            placement="tail",
        ),
        DetailField(
            "status_incident_id",
            lambda: forms.CharField(
                required=False, max_length=100, label="Status-page incident (id)"
            ),
            lambda **kw: serializers.CharField(
                allow_blank=True, allow_null=True, max_length=100, **kw
            ),
            tidy=_status_id,
            placement="tail",
        ),
    ),
    relations=(
        Relation(
            "runbooks_used",
            lambda **kw: RunbookUseSerializer(many=True, **kw),
            lambda: RunbookUseReadSerializer(source="runbook_uses", many=True, read_only=True),
        ),
        Relation(
            "alerts",
            lambda **kw: serializers.ListField(
                child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
                max_length=200,
                **kw,
            ),
            lambda: LinkedAlertField.many_init(read_only=True),
        ),
    ),
    api_read_only={"action_items": lambda: ActionItemSerializer(many=True, read_only=True)},
    api_prefetch=("action_items__owner", _uses_read_by, _alerts_read_by),
    parts={
        "meta": "documents/postmortem/_meta.html",
        "after": "documents/postmortem/_after.html",
    },
    check=_window,
    body_template=BODY_TEMPLATE,
)
