"""API viewsets besides documents (runbooks.api.documents): tags, providers, alert routes, the
resolver and received alerts. The behaviour lives in services and querysets."""

from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.exceptions import (
    MethodNotAllowed,
    NotAuthenticated,
    NotFound,
    ValidationError,
)
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from runbooks import resolution
from runbooks.filters import AlertFilter
from runbooks.models import Alert, AlertRoute, Provider, Tag
from runbooks.services import routes as route_services

from . import serializers as s
from .permissions import RouteActions, SignedInToWrite, TokenScopes, api_refusals, token_of


class TagViewSet(viewsets.ReadOnlyModelViewSet):
    """Tags in use by documents the caller may see."""

    serializer_class = s.TagSerializer
    lookup_field = "slug"
    filter_backends = []

    def get_queryset(self):
        return Tag.objects.visible_to(self.request.user).order_by("slug")


class ProviderViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Provider.objects.order_by("slug")
    serializer_class = s.ProviderSerializer
    lookup_field = "slug"
    filter_backends = []


class AlertRouteViewSet(viewsets.ModelViewSet):
    """Routes the caller may see: community routes and their providers' routes."""

    serializer_class = s.AlertRouteSerializer
    lookup_value_regex = r"[0-9]{1,18}"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    permission_classes = [TokenScopes, SignedInToWrite, RouteActions]
    filter_backends = []

    def get_queryset(self):
        return (
            AlertRoute.objects.visible_to(self.request.user)
            .select_related("runbook", "provider")
            .order_by("alertname_key", "-priority", "pk")
        )

    def get_object(self):
        with api_refusals(self.request):  # says nothing about whether it exists
            route = get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, route)
        return route

    def _save(self, serializer, route=None):
        data = serializer.validated_data
        return route_services.save_route(
            actor=self.request.user,
            alertname=data.get("alertname", route.alertname if route else ""),
            runbook=data.get("runbook", route.runbook if route else None),
            provider=data.get("provider", route.provider if route else None),
            matchers=data.get("matchers", route.matchers if route else []),
            priority=data.get("priority", route.priority if route else 0),
            route=route,
        )

    def create(self, request, *args, **kwargs):
        incoming = self.get_serializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        route = self._save(incoming)
        location = s.absolute(reverse("api-alert-route-detail", args=[route.pk]), request)
        return Response(
            self.get_serializer(route).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": location},
        )

    def partial_update(self, request, *args, **kwargs):
        route = self.get_object()
        incoming = self.get_serializer(route, data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        return Response(self.get_serializer(self._save(incoming, route)).data)

    def update(self, request, *args, **kwargs):
        raise MethodNotAllowed(request.method)

    def destroy(self, request, *args, **kwargs):
        route = self.get_object()
        route_services.delete_route(route, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ResolveView(APIView):
    """The runbook for an alert, as `/r/` finds it (DESIGN §4), as JSON."""

    @extend_schema(
        parameters=[
            OpenApiParameter("alertname", str, required=True),
            OpenApiParameter("provider", str, description="Provider slug (scope)."),
            OpenApiParameter("component", str, description="Prefer runbooks of this component."),
            OpenApiParameter(
                "labels",
                OpenApiTypes.OBJECT,
                style="form",
                explode=True,
                description="Any other parameter is an alert label.",
            ),
        ],
        responses=s.ResolutionSerializer,
    )
    def get(self, request):
        name = request.query_params.get("alertname", "").strip()
        if not name or len(name) > 200:
            raise ValidationError({"alertname": ["Name the alert (1 to 200 characters)."]})
        query = request.query_params
        try:
            found = resolution.look_up(
                request.user, name, query, query.get("component"), token_of(request)
            )
        except resolution.UnknownProvider as unknown:
            raise ValidationError(
                {"provider": [f"There is no provider {str(unknown)!r}."]}
            ) from None
        except resolution.BadLabels as bad:
            raise ValidationError({"labels": [str(bad)]}) from None
        route_services.count_miss(found.miss, actor=request.user)
        if found.route is None and not request.user.is_authenticated:
            # Signed out, a private runbook, a draft and nothing answer alike (DESIGN §4).
            raise NotAuthenticated(
                "No public runbook answers this alert: send a token to look for your provider's."
            )
        if found.route is None:  # no match, or one the caller may not see: the same answer
            raise NotFound(f"No runbook is linked to the alert {name!r}.")
        route, runbook = found.route, found.route.runbook
        body = {
            "runbook": {
                "slug": runbook.slug,
                "title": runbook.title,
                "url": s.absolute(runbook.get_absolute_url(), request),
                "provider": runbook.provider.slug if runbook.provider_id else None,
                "component": runbook.component,
            },
            "route": s.AlertRouteSerializer(route).data,
        }
        return Response(body)


class AlertViewSet(viewsets.ReadOnlyModelViewSet):
    """Received alerts, for members of the receiving provider and staff."""

    serializer_class = s.AlertSerializer
    filterset_class = AlertFilter
    lookup_value_regex = r"[0-9]{1,18}"
    permission_classes = [TokenScopes, IsAuthenticated]

    def get_queryset(self):
        return Alert.objects.visible_to(self.request.user).order_by("-last_seen", "-pk")
