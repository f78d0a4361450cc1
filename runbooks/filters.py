"""List filters (django-filter), one set per list, used by the pages and the API alike.

Filters narrow a queryset that is already limited to what the user may see; a filter that
names another object (an alert's runbook) looks it up within what the user may see too, so a
count can never tell whether something private exists.
"""

import django_filters

from runbooks.choices import Status
from runbooks.models import Alert, AlertSource, AlertStatus, AuditEntry, Document, Runbook


class DocumentFilter(django_filters.FilterSet):
    tag = django_filters.CharFilter(field_name="tags__slug", help_text="Tag slug.")
    provider = django_filters.CharFilter(
        method="filter_provider", help_text="Provider slug, or `community` for none."
    )
    status = django_filters.ChoiceFilter(choices=Status.choices)
    stale = django_filters.BooleanFilter(
        method="filter_stale", help_text="Runbooks whose review is overdue (or not)."
    )

    class Meta:
        model = Document
        fields = ["tag", "provider", "status", "stale"]

    def filter_provider(self, queryset, name, value):
        if value == "community":
            return queryset.filter(provider__isnull=True)
        return queryset.filter(provider__slug=value)

    def filter_stale(self, queryset, name, value):
        return queryset.none()  # only runbooks are reviewed


class RunbookFilter(DocumentFilter):
    component = django_filters.CharFilter(field_name="component", lookup_expr="iexact")

    class Meta:
        model = Runbook
        fields = ["tag", "provider", "status", "stale", "component"]

    def filter_stale(self, queryset, name, value):
        return queryset.stale(value)


class AuditFilter(django_filters.FilterSet):
    action = django_filters.ChoiceFilter(choices=AuditEntry.Action.choices)
    via = django_filters.ChoiceFilter(choices=AuditEntry.Via.choices)
    actor = django_filters.CharFilter(field_name="actor_name", lookup_expr="icontains")
    provider = django_filters.CharFilter(field_name="provider__slug")
    since = django_filters.DateFilter(field_name="at", lookup_expr="date__gte")
    until = django_filters.DateFilter(field_name="at", lookup_expr="date__lte")

    class Meta:
        model = AuditEntry
        fields = ["action", "via", "actor", "provider", "since", "until"]


class AlertFilter(django_filters.FilterSet):
    alertname = django_filters.CharFilter(field_name="alertname", lookup_expr="iexact")
    status = django_filters.ChoiceFilter(choices=AlertStatus.choices)
    source = django_filters.ChoiceFilter(choices=AlertSource.choices)
    runbook = django_filters.CharFilter(method="filter_runbook", help_text="Runbook slug.")

    class Meta:
        model = Alert
        fields = ["alertname", "status", "source", "runbook"]

    def filter_runbook(self, queryset, name, value):
        # Only runbooks the caller may see: the filter must not tell whether a private one exists.
        user = self.request.user if self.request is not None else None
        visible = Runbook.objects.visible_to(user) if user is not None else Runbook.objects.none()
        return queryset.filter(runbook__in=visible.filter(slug=value).values("pk"))
