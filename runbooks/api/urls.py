"""/api/v1/ routes: one router, as NetBox does."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from runbooks.kinds.registry import KINDS

from . import coverage, search, subscriptions, views, webhooks
from .documents import VIEWSETS

router = DefaultRouter()
router.include_format_suffixes = False  # JSON only: no `.json` twins of every route
for spec in KINDS:
    router.register(spec.url_prefix, VIEWSETS[spec.kind], basename=f"api-{spec.kind}")
router.register("tags", views.TagViewSet, basename="api-tag")
router.register("providers", views.ProviderViewSet, basename="api-provider")

router.register("alert-routes", views.AlertRouteViewSet, basename="api-alert-route")
router.register("alerts", views.AlertViewSet, basename="api-alert")
router.register("subscriptions", subscriptions.SubscriptionViewSet, basename="api-subscription")

urlpatterns = [
    path("resolve/", views.ResolveView.as_view(), name="api-resolve"),
    path("coverage/", coverage.CoverageView.as_view(), name="api-coverage"),
    path("search/", search.SearchView.as_view(), name="api-search"),
    path("search/suggest/", search.SuggestView.as_view(), name="api-search-suggest"),
    path(
        "alerts/alertmanager/",
        webhooks.AlertmanagerWebhook.as_view(),
        name="api-alerts-alertmanager",
    ),
    path("alerts/grafana/", webhooks.GrafanaWebhook.as_view(), name="api-alerts-grafana"),
    path("alerts/events/", webhooks.EventsReceiver.as_view(), name="api-alerts-events"),
    path("alerts/mail/", webhooks.AlarmMailReceiver.as_view(), name="api-alerts-mail"),
    *router.urls,
]
