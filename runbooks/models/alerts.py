"""Alert routes (alert name + label matchers → runbook) and alerts that found no runbook."""

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q

from runbooks.inputs import CleanJSONDecoder

from .providers import Provider, roles_of
from .runbooks import Runbook


class AlertRouteQuerySet(models.QuerySet):
    def visible_to(self, user) -> "AlertRouteQuerySet":
        """Routes a user may list: community routes and their own providers' routes, and only
        those leading to runbooks they may see."""
        q = Q(provider__isnull=True)
        provider_ids = list(roles_of(user))
        if provider_ids:
            q |= Q(provider_id__in=provider_ids)
        return self.filter(q, runbook__in=Runbook.objects.visible_to(user).values("pk"))


class AlertRoute(models.Model):
    """Sends alerts with this name (and matching labels) to a runbook (DESIGN §3, §4).

    A route scoped to a provider applies to that provider's alerts only; a community route
    (no provider) applies to everyone's. `alertname_key` is the case-folded name, indexed so
    that resolution costs the same with ten routes or a hundred thousand.
    """

    alertname = models.CharField(max_length=200)
    alertname_key = models.CharField(max_length=200, editable=False)
    matchers = models.JSONField(default=list, blank=True)
    provider = models.ForeignKey(
        Provider, null=True, blank=True, on_delete=models.CASCADE, related_name="alert_routes"
    )
    priority = models.IntegerField(default=0)
    runbook = models.ForeignKey(Runbook, on_delete=models.CASCADE, related_name="alert_routes")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AlertRouteQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["alertname_key", "provider"])]
        ordering = ["alertname_key", "-priority", "pk"]

    def __str__(self) -> str:
        scope = self.provider.slug if self.provider_id else "community"
        return f"{self.alertname} ({scope}) → {self.runbook_id}"


class RunbookMiss(models.Model):
    """An alert name that found no runbook, counted per provider (None: no provider known)."""

    alertname = models.CharField(max_length=200)
    alertname_key = models.CharField(max_length=200)
    provider = models.ForeignKey(
        Provider, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    count = models.PositiveIntegerField(default=0)
    first_seen = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["alertname_key", "provider"],
                name="one_miss_row_per_name_and_provider",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return f"{self.alertname} ×{self.count}"


class AlertStatus(models.TextChoices):
    FIRING = "firing", "Firing"
    RESOLVED = "resolved", "Resolved"


class AlertSource(models.TextChoices):
    ALERTMANAGER = "alertmanager", "Prometheus Alertmanager"
    GRAFANA = "grafana", "Grafana"
    EVENTS = "events", "PagerDuty Events v2"
    HEALTHMONITOR = "healthmonitor", "OpenStack Health Monitor"


class EventStatus(models.TextChoices):
    """What one notification said: an alert's status, or an acknowledgement (events only)."""

    FIRING = "firing", "Firing"
    RESOLVED = "resolved", "Resolved"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"


class InboxEntry(models.Model):
    """One webhook body, event or alarm mail exactly as received (bytes), stored before
    anything else is done with it, so that nothing is lost while a worker or the broker is down
    (DESIGN §5). A mail piped in by the MTA has no token."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="inbox")
    token = models.ForeignKey(
        "Token", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=20, choices=AlertSource.choices)
    body = models.BinaryField()
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    alert_count = models.PositiveIntegerField(default=0)
    truncated_alerts = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "inbox entries"
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.source} body {self.pk} from {self.provider_id}"


class AlertQuerySet(models.QuerySet):
    def visible_to(self, user) -> "AlertQuerySet":
        """Received alerts: members of the receiving provider, and staff (DESIGN §3). Each is
        annotated `runbook_visible`: may `user` open its runbook? (Staff see every alert, but
        not other providers' private runbooks.)"""
        if not user.is_authenticated:
            alerts = self.none()
        elif user.is_staff:
            alerts = self.all()
        else:
            alerts = self.filter(provider_id__in=list(roles_of(user)))
        runbooks = Runbook.objects.visible_to(user).filter(pk=OuterRef("runbook_id"))
        return alerts.select_related("provider", "runbook").annotate(
            runbook_visible=Exists(runbooks)
        )


class Alert(models.Model):
    """One alert instance: unique per (provider, fingerprint, startsAt); resends update it."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="alerts")
    source = models.CharField(max_length=20, choices=AlertSource.choices)
    fingerprint = models.CharField(max_length=128)
    alertname = models.CharField(max_length=200, db_index=True)
    status = models.CharField(max_length=10, choices=AlertStatus.choices)
    # Read back with unstorable characters replaced: a value stored before input was cleaned
    # must never break a page (DESIGN §5).
    labels = models.JSONField(default=dict, decoder=CleanJSONDecoder)
    annotations = models.JSONField(default=dict, decoder=CleanJSONDecoder)
    extra = models.JSONField(default=dict, blank=True, decoder=CleanJSONDecoder)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    generator_url = models.TextField(blank=True)
    runbook = models.ForeignKey(
        Runbook, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    first_seen = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField(db_index=True)
    notifications = models.PositiveIntegerField(default=1)

    objects = AlertQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "fingerprint", "starts_at"], name="one_alert_per_instance"
            )
        ]
        indexes = [
            models.Index(fields=["runbook", "starts_at"]),
            # The home page's firing alerts of a member's providers, latest first.
            models.Index(fields=["provider", "status", "starts_at"], name="alert_by_status_start"),
        ]
        ordering = ["-last_seen"]

    def __str__(self) -> str:
        return f"{self.alertname} ({self.status})"


class AlertEvent(models.Model):
    """One notification about an alert: the timeline on the alert's page."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="events")
    inbox_entry = models.ForeignKey(InboxEntry, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(max_length=12, choices=EventStatus.choices)
    received_at = models.DateTimeField()

    class Meta:
        constraints = [
            # Processing the same body twice must not double the timeline.
            models.UniqueConstraint(fields=["alert", "inbox_entry"], name="one_event_per_body")
        ]
        ordering = ["received_at", "pk"]

    def __str__(self) -> str:
        return f"{self.alert_id} {self.status} at {self.received_at}"


class RouteChange(models.Model):
    """A route added, changed, removed or restored: who, when, and the route as it was after
    the change (as it was before, for a removal), so the runbook's history shows it and a
    removed route can be put back with one click."""

    class Action(models.TextChoices):
        ADDED = "added", "added"
        CHANGED = "changed", "changed"
        REMOVED = "removed", "removed"
        RESTORED = "restored", "restored"

    runbook = models.ForeignKey(Runbook, on_delete=models.CASCADE, related_name="route_changes")
    route_id_at_change = models.BigIntegerField(help_text="The route's id (it may be gone now).")
    action = models.CharField(max_length=10, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    alertname = models.CharField(max_length=200)
    matchers = models.JSONField(default=list, blank=True)
    provider = models.ForeignKey(
        Provider, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    priority = models.IntegerField(default=0)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.alertname} {self.action} at {self.at}"
