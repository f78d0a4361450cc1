"""Query filters for lists (django-filter)."""

import django_filters

from runbooks.choices import Status
from runbooks.models import AlertStatus, Document


class DocumentFilter(django_filters.FilterSet):
    tag = django_filters.CharFilter(field_name="tags__slug", help_text="Tag slug.")
    provider = django_filters.CharFilter(
        method="filter_provider", help_text="Provider slug, or `community` for none."
    )
    status = django_filters.ChoiceFilter(choices=Status.choices)
    stale = django_filters.BooleanFilter(
        method="filter_stale", help_text="Runbooks whose review is overdue (or not)."
    )
    component = django_filters.CharFilter(field_name="component", lookup_expr="iexact")

    class Meta:
        model = Document
        fields = ["tag", "provider", "status", "stale", "component"]

    def filter_provider(self, queryset, name, value):
        if value == "community":
            return queryset.filter(provider__isnull=True)
        return queryset.filter(provider__slug=value)

    def filter_stale(self, queryset, name, value):
        return queryset.stale(value)


class AlertFilter(django_filters.FilterSet):
    alertname = django_filters.CharFilter(field_name="alertname", lookup_expr="iexact")
    status = django_filters.ChoiceFilter(choices=AlertStatus.choices)
    runbook = django_filters.CharFilter(field_name="runbook__slug", help_text="Runbook slug.")

    class Meta:
        from runbooks.models import Alert

        model = Alert
        fields = ["alertname", "status", "runbook"]
