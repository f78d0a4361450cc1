"""API viewsets. The behaviour lives in services and querysets; these map HTTP onto them."""

from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import (
    MethodNotAllowed,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from rest_framework.filters import OrderingFilter
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from runbooks import diffing, resolution, services
from runbooks.choices import Kind
from runbooks.models import AlertRoute, Document, Provider, Revision, Tag
from runbooks.visibility import (
    can_delete,
    can_edit,
    can_manage_route,
    can_publish,
    can_write_in,
    visible_alerts,
    visible_routes_q,
)

from . import serializers as s
from .errors import PreconditionFailed
from .filters import AlertFilter, DocumentFilter
from .permissions import TokenScopes, token_of

EDIT_DENIED = "You may read this document but not change it."
PUBLISH_DENIED = "Only the creator or an admin of its provider publishes it."
ROUTE_DENIED = (
    "Routes scoped to a provider are its editors'; community routes lead to community runbooks."
)


def etag_of(document) -> str:
    """A strong validator of the document's state: its revision and when it last changed."""
    number = document.current_revision.number if document.current_revision else 0
    return f'"r{number}-{int(document.updated_at.timestamp() * 1_000_000)}"'


def _fetch_or_refuse(queryset, request, **lookup):
    """Visible object or a refusal that says nothing about whether it exists: 401 for anonymous
    callers (signing in might help), 404 for everyone else."""
    try:
        return queryset.get(**lookup)
    except queryset.model.DoesNotExist:
        if not request.user.is_authenticated:
            raise NotAuthenticated("Sign in (or send a token) to see this, if it exists.") from None
        raise NotFound() from None


class DocumentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Documents of one kind; subclasses set `kind` and the serializers."""

    kind: str = Kind.RUNBOOK
    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    serializer_class = s.DocumentSerializer
    write_serializer_class = s.DocumentWriteSerializer
    patch_serializer_class = s.DocumentPatchSerializer
    filterset_class = DocumentFilter
    filter_backends = [
        *viewsets.GenericViewSet.filter_backends,
        OrderingFilter,
    ]
    ordering_fields = ["title", "created_at", "updated_at"]
    ordering = ["-updated_at", "pk"]

    def get_queryset(self):
        return (
            Document.objects.visible_to(self.request.user)
            .of_kind(self.kind)
            .select_related("provider", "creator", "current_revision")
            .prefetch_related(Prefetch("tags", queryset=Tag.objects.only("slug")))
        )

    def get_object(self):
        document = _fetch_or_refuse(self.get_queryset(), self.request, slug=self.kwargs["slug"])
        self.check_object_permissions(self.request, document)
        return document

    def _editable(self) -> Document:
        document = self.get_object()
        if not can_edit(self.request.user, document):
            raise PermissionDenied(EDIT_DENIED)
        return document

    def _publishable(self) -> Document:
        document = self.get_object()
        if not can_publish(self.request.user, document):
            raise PermissionDenied(PUBLISH_DENIED)
        return document

    def _read(self, document, status_code=status.HTTP_200_OK, headers=None):
        document = self.get_queryset().get(pk=document.pk)  # fresh, with its relations
        headers = {**(headers or {}), "ETag": etag_of(document)}
        return Response(self.get_serializer(document).data, status=status_code, headers=headers)

    def _check_if_match(self, document) -> None:
        """`If-Match` is optional beside `base_revision`; when sent, a stale ETag is a 412."""
        header = self.request.headers.get("If-Match", "").strip()
        if not header or header == "*":
            return
        if etag_of(document) not in {tag.strip() for tag in header.split(",")}:
            raise PreconditionFailed()

    def retrieve(self, request, *args, **kwargs):
        document = self.get_object()
        return Response(self.get_serializer(document).data, headers={"ETag": etag_of(document)})

    # --- create, change, delete ------------------------------------------------------------

    def create(self, request, *args, **kwargs):
        incoming = self.write_serializer_class(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        if not can_write_in(request.user, data.get("provider")):
            raise PermissionDenied("You are not an editor there, so you cannot create documents.")
        document = services.create_document(kind=self.kind, author=request.user, **data)
        location = s.absolute(f"{request.path}{document.slug}/")
        return self._read(document, status.HTTP_201_CREATED, {"Location": location})

    def partial_update(self, request, *args, **kwargs):
        document = self._editable()
        self._check_if_match(document)
        incoming = self.patch_serializer_class(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        base = data.pop("base_revision")
        visibility = data.pop("visibility", None)
        changes_audience = visibility and visibility != document.visibility
        if changes_audience and not can_publish(request.user, document):
            raise PermissionDenied("Only those who publish a document change who reads it.")
        current = document.current_revision
        services.add_revision(
            document,
            title=data.pop("title", current.title),
            body=data.pop("body", current.body),
            author=request.user,
            base_revision=base,
            message=data.pop("message", ""),
        )
        services.update_details(document, **data)
        if visibility:
            services.set_visibility(document, visibility)
        return self._read(document)

    def destroy(self, request, *args, **kwargs):
        document = self.get_object()
        if not can_delete(request.user, document):
            raise PermissionDenied("Only admins of the document's provider delete it.")
        self._check_if_match(document)
        services.delete_document(document)
        return Response(status=status.HTTP_204_NO_CONTENT)

    # --- history ---------------------------------------------------------------------------

    def _revision(self, document, number) -> Revision:
        try:
            return document.revisions.select_related("author").get(number=number)
        except Revision.DoesNotExist:
            raise NotFound(f"Revision {number} does not exist.") from None

    @extend_schema(responses=s.RevisionSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], filterset_class=None, ordering_fields=None)
    def revisions(self, request, slug=None):
        document = self.get_object()
        revisions = document.revisions.select_related("author").defer("body", "html", "toc")
        page = self.paginate_queryset(revisions.order_by("-number"))
        return self.get_paginated_response(s.RevisionSerializer(page, many=True).data)

    @extend_schema(responses=s.RevisionDetailSerializer, filters=False)
    @action(
        detail=True,
        methods=["get"],
        url_path=r"revisions/(?P<number>[0-9]{1,9})",
        filterset_class=None,
    )
    def revision(self, request, slug=None, number=None):
        revision = self._revision(self.get_object(), int(number))
        return Response(s.RevisionDetailSerializer(revision).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("from", int, description="Older revision (default: current - 1)."),
            OpenApiParameter("to", int, description="Newer revision (default: current)."),
        ],
        responses=s.DiffSerializer,
        filters=False,
    )
    @action(detail=True, methods=["get"], filterset_class=None)
    def diff(self, request, slug=None):
        document = self.get_object()
        query = s.DiffQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        current = document.current_revision.number
        end = query.validated_data.get("to", current)
        start = query.validated_data.get("from", max(min(end, current) - 1, 1))
        if start > end:
            raise s.serializers.ValidationError({"from": ["“from” must not be after “to”."]})
        old, new = self._revision(document, start), self._revision(document, end)
        text = diffing.unified(old.body, new.body, f"revision {start}", f"revision {end}")
        return Response({"from": start, "to": end, "unified": text})

    @extend_schema(request=s.RestoreSerializer, responses={201: s.RevisionDetailSerializer})
    @action(detail=True, methods=["post"])
    def restore(self, request, slug=None):
        document = self._editable()
        incoming = s.RestoreSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        number = incoming.validated_data["revision"]
        self._revision(document, number)
        revision = services.restore_revision(
            document,
            number,
            author=request.user,
            base_revision=incoming.validated_data["base_revision"],
        )
        return Response(s.RevisionDetailSerializer(revision).data, status=status.HTTP_201_CREATED)

    # --- life cycle ------------------------------------------------------------------------

    @extend_schema(request=s.PublishSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, slug=None):
        document = self._publishable()
        incoming = s.PublishSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        services.publish(document, **incoming.validated_data)
        return self._read(document)

    @extend_schema(request=s.StatusSerializer)
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request, slug=None):
        document = self.get_object()  # invisible: 404 before the body is even read
        incoming = s.StatusSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        services.set_status(document, incoming.validated_data["status"], actor=request.user)
        return self._read(document)


class RunbookViewSet(DocumentViewSet):
    kind = Kind.RUNBOOK
    serializer_class = s.RunbookSerializer
    write_serializer_class = s.RunbookWriteSerializer
    patch_serializer_class = s.RunbookPatchSerializer

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def review(self, request, slug=None):
        document = self._editable()
        services.mark_reviewed(document, reviewer=request.user)
        return self._read(document)


class PostmortemViewSet(DocumentViewSet):
    kind = Kind.POSTMORTEM


class ReportViewSet(DocumentViewSet):
    kind = Kind.REPORT


def _document_schema(viewset, name: str):
    """Name each kind's operations in the schema and document its request bodies."""
    return extend_schema_view(
        list=extend_schema(summary=f"List {name}s you may see"),
        retrieve=extend_schema(summary=f"Read a {name}"),
        create=extend_schema(
            summary=f"Create a {name}",
            request=viewset.write_serializer_class,
            responses={201: viewset.serializer_class},
        ),
        partial_update=extend_schema(
            summary=f"Change a {name} (names the revision it started from)",
            request=viewset.patch_serializer_class,
            responses={200: viewset.serializer_class},
        ),
        destroy=extend_schema(summary=f"Delete a {name} (admins)"),
    )(viewset)


RunbookViewSet = _document_schema(RunbookViewSet, "runbook")
PostmortemViewSet = _document_schema(PostmortemViewSet, "post-mortem")
ReportViewSet = _document_schema(ReportViewSet, "experience report")


class TagViewSet(viewsets.ReadOnlyModelViewSet):
    """Tags in use by documents the caller may see."""

    serializer_class = s.TagSerializer
    lookup_field = "slug"
    filter_backends = []

    def get_queryset(self):
        visible = Document.objects.visible_to(self.request.user)
        return Tag.objects.filter(documents__in=visible).distinct().order_by("slug")


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
    filter_backends = []

    def get_queryset(self):
        return (
            AlertRoute.objects.filter(visible_routes_q(self.request.user))
            .select_related("runbook", "provider")
            .order_by("alertname_key", "-priority", "pk")
        )

    def get_object(self):
        return _fetch_or_refuse(self.get_queryset(), self.request, pk=self.kwargs["pk"])

    def _save(self, serializer, route=None):
        data = serializer.validated_data
        runbook = data.get("runbook", route.runbook if route else None)
        provider = data.get("provider", route.provider if route else None)
        if not can_manage_route(self.request.user, provider, runbook):
            raise PermissionDenied(ROUTE_DENIED)
        return services.save_route(
            alertname=data.get("alertname", route.alertname if route else ""),
            runbook=runbook,
            provider=provider,
            matchers=data.get("matchers", route.matchers if route else []),
            priority=data.get("priority", route.priority if route else 0),
            author=self.request.user,
            route=route,
        )

    def create(self, request, *args, **kwargs):
        incoming = self.get_serializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        route = self._save(incoming)
        location = s.absolute(f"{request.path}{route.pk}/")
        return Response(
            self.get_serializer(route).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": location},
        )

    def partial_update(self, request, *args, **kwargs):
        route = self.get_object()
        if not can_manage_route(request.user, route.provider, route.runbook):
            raise PermissionDenied(ROUTE_DENIED)
        incoming = self.get_serializer(route, data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        return Response(self.get_serializer(self._save(incoming, route)).data)

    def update(self, request, *args, **kwargs):
        raise MethodNotAllowed(request.method)

    def destroy(self, request, *args, **kwargs):
        route = self.get_object()
        if not can_manage_route(request.user, route.provider, route.runbook):
            raise PermissionDenied(ROUTE_DENIED)
        services.delete_route(route)
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
                request, name, query, query.get("component"), token_of(request)
            )
        except resolution.UnknownProvider as unknown:
            raise ValidationError(
                {"provider": [f"There is no provider {str(unknown)!r}."]}
            ) from None
        except resolution.BadLabels as bad:
            raise ValidationError({"labels": [str(bad)]}) from None
        if found.hidden and not request.user.is_authenticated:
            raise NotAuthenticated("Sign in (or send a token) to open this runbook.")
        if found.route is None:  # no match, or one the caller may not see: the same answer
            raise NotFound(f"No runbook is linked to the alert {name!r}.")
        route, runbook = found.route, found.route.runbook
        body = {
            "runbook": {
                "slug": runbook.slug,
                "title": runbook.title,
                "url": s.absolute(runbook.get_absolute_url()),
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
        return visible_alerts(self.request.user).order_by("-last_seen", "-pk")
