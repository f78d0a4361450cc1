"""The documents API: one viewset class per kind, made from the kind's registry entry.

Access goes through `runbooks.access.get_document` (the same helper as the pages, each action
named as the pages name it: `DOCUMENT_ACTIONS`), its refusals in the API's words
(`api_refusals`); writes go through `runbooks.services.documents`.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from runbooks import access, diffing
from runbooks.choices import Kind
from runbooks.kinds.registry import KINDS
from runbooks.models import Revision, Tag
from runbooks.services import documents as document_services

from . import serializers as s
from .comments import CommentActions
from .errors import PreconditionFailed
from .permissions import DOCUMENT_ACTIONS, SignedInToWrite, TokenScopes, api_refusals
from .postmortems import ActionItemActions
from .runbooks import ReviewAction

# The API actions a kind adds to its viewset (mixins), keyed by kind; registered here, from
# above: the kinds registry holds data only. A kind without an entry has the shared ones.
EXTRA_ACTIONS: dict[str, tuple[type, ...]] = {
    Kind.RUNBOOK: (ReviewAction,),
    Kind.POSTMORTEM: (ActionItemActions,),
}


def etag_of(document) -> str:
    """A strong validator of the document's state: its revision and when it last changed."""
    number = document.current_revision.number if document.current_revision else 0
    return f'"r{number}-{int(document.updated_at.timestamp() * 1_000_000)}"'


class DocumentViewSet(
    CommentActions,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Documents of one kind; `viewset_for` sets `kind` and the serializers."""

    kind: str = ""
    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    permission_classes = [TokenScopes, SignedInToWrite]
    filter_backends = [*viewsets.GenericViewSet.filter_backends, OrderingFilter]
    ordering_fields = ["title", "created_at", "updated_at"]
    ordering = ["-updated_at", "pk"]

    def get_queryset(self):
        return self._with_related(access.documents(self.request.user, self.kind))

    def _with_related(self, documents):
        """What the serializers read, fetched with the documents (as the caller may see it)."""
        user = self.request.user
        related = [p(user) if callable(p) else p for p in KINDS[self.kind].api_prefetch]
        return documents.select_related("provider", "creator", "current_revision").prefetch_related(
            Prefetch("tags", queryset=Tag.objects.only("slug")), *related
        )

    def get_object(self):
        """The document through `access.get_document`, like the pages: what the caller may not
        see is a 404 (401 when anonymous), what they may see but not do a 403."""
        action = DOCUMENT_ACTIONS.get(self.action, access.VIEW)
        with api_refusals(self.request):
            return access.get_document(
                self.request.user,
                self.kind,
                self.kwargs["slug"],
                action,
                related=self._with_related,
            )

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
        document = document_services.create_document(
            actor=request.user, kind=self.kind, **incoming.validated_data
        )
        location = s.absolute(reverse(f"api-{self.kind}-detail", args=[document.slug]), request)
        return self._read(document, status.HTTP_201_CREATED, {"Location": location})

    def partial_update(self, request, *args, **kwargs):
        document = self.get_object()
        self._check_if_match(document)
        incoming = self.patch_serializer_class(data=request.data)
        incoming.is_valid(raise_exception=True)
        document_services.edit_document(document, actor=request.user, **incoming.validated_data)
        return self._read(document)

    def destroy(self, request, *args, **kwargs):
        document = self.get_object()
        self._check_if_match(document)
        document_services.delete_document(document, actor=request.user)
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
            OpenApiParameter("from", int, description="Older revision (default: to - 1)."),
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
        try:
            start, end = diffing.revision_range(
                document.current_revision.number,
                query.validated_data.get("from"),
                query.validated_data.get("to"),
            )
        except DjangoValidationError as exc:
            raise ValidationError({"from": exc.messages}) from None
        old, new = self._revision(document, start), self._revision(document, end)
        text = diffing.unified(old.body, new.body, f"revision {start}", f"revision {end}")
        return Response({"from": start, "to": end, "unified": text})

    @extend_schema(request=s.RestoreSerializer, responses={201: s.RevisionDetailSerializer})
    @action(detail=True, methods=["post"])
    def restore(self, request, slug=None):
        document = self.get_object()
        incoming = s.RestoreSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        number = incoming.validated_data["revision"]
        self._revision(document, number)
        revision = document_services.restore_revision(
            document,
            number,
            actor=request.user,
            base_revision=incoming.validated_data["base_revision"],
        )
        return Response(s.RevisionDetailSerializer(revision).data, status=status.HTTP_201_CREATED)

    # --- life cycle ------------------------------------------------------------------------

    @extend_schema(request=s.PublishSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, slug=None):
        document = self.get_object()
        incoming = s.PublishSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        document_services.publish(document, actor=request.user, **incoming.validated_data)
        return self._read(document)

    @extend_schema(request=s.StatusSerializer)
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request, slug=None):
        document = self.get_object()  # invisible: 404 before the body is even read
        incoming = s.StatusSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        document_services.set_status(
            document, incoming.validated_data["status"], actor=request.user
        )
        return self._read(document)


def viewset_for(spec) -> type[DocumentViewSet]:
    """The API viewset of one kind: its serializers, FilterSet and extra actions (mixins)."""
    read, write, patch = s.serializers_for(spec)
    viewset = type(
        f"{spec.model.__name__ if spec.fields else spec.label.replace(' ', '')}ViewSet",
        (*EXTRA_ACTIONS.get(spec.kind, ()), DocumentViewSet),
        {
            "kind": spec.kind,
            "serializer_class": read,
            "write_serializer_class": write,
            "patch_serializer_class": patch,
            "filterset_class": spec.filters,
            "__doc__": f"{spec.label}s you may see: read, write, history, life cycle.",
        },
    )
    name = spec.label.lower()
    return extend_schema_view(
        list=extend_schema(summary=f"List {name}s you may see"),
        retrieve=extend_schema(summary=f"Read a {name}"),
        create=extend_schema(summary=f"Create a {name}", request=write, responses={201: read}),
        partial_update=extend_schema(
            summary=f"Change a {name} (names the revision it started from)",
            request=patch,
            responses={200: read},
        ),
        destroy=extend_schema(summary=f"Delete a {name} (admins)"),
    )(viewset)


VIEWSETS = {spec.kind: viewset_for(spec) for spec in KINDS}
