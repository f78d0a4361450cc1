"""Comments in the API, on documents of every kind (DESIGN §8): `…/comments/` (GET, POST),
`…/comments/<id>/` (PATCH and DELETE, by the author), `…/comments/<id>/hide/` (POST to hide
with a reason, DELETE to show again; moderators)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from runbooks.models import Comment
from runbooks.services import comments as comment_services


class CommentSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", allow_null=True, read_only=True)
    provider = serializers.CharField(source="provider.slug", allow_null=True, read_only=True)
    revision = serializers.IntegerField(source="revision.number", allow_null=True, read_only=True)
    parent = serializers.IntegerField(source="parent_id", allow_null=True, read_only=True)
    hidden = serializers.BooleanField(source="is_hidden", read_only=True)
    deleted = serializers.BooleanField(source="is_deleted", read_only=True)
    mentions = serializers.SlugRelatedField(
        slug_field="username", many=True, read_only=True, help_text="Usernames told."
    )

    class Meta:
        model = Comment
        fields = [
            "id",
            "body",
            "html",
            "author",
            "provider",
            "revision",
            "parent",
            "section",
            "created_at",
            "edited_at",
            "deleted",
            "hidden",
            "hidden_reason",
            "mentions",
        ]
        read_only_fields = fields


class CommentWriteSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=comment_services.MAX_BODY, trim_whitespace=False)
    parent = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, required=False, allow_null=True
    )
    section = serializers.CharField(max_length=200, required=False, allow_blank=True)


class CommentEditSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=comment_services.MAX_BODY, trim_whitespace=False)


class HideSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=comment_services.MAX_REASON)


class CommentActions:
    """Mixed into every kind's document viewset."""

    def _comments(self, document):
        visible = Comment.objects.visible_to(self.request.user).filter(document=document)
        return visible.select_related("author", "provider", "revision").prefetch_related("mentions")

    def _comment(self, document, comment_id) -> Comment:
        comment = self._comments(document).filter(pk=comment_id).first()
        if comment is None:
            raise NotFound("No such comment on this document.")
        return comment

    @extend_schema(methods=["GET"], responses=CommentSerializer(many=True), filters=False)
    @extend_schema(
        methods=["POST"], request=CommentWriteSerializer, responses={201: CommentSerializer}
    )
    @action(detail=True, methods=["get", "post"], filterset_class=None, ordering_fields=None)
    def comments(self, request, slug=None):
        document = self.get_object()
        if request.method == "GET":
            page = self.paginate_queryset(self._comments(document).order_by("created_at", "pk"))
            return self.get_paginated_response(CommentSerializer(page, many=True).data)
        incoming = CommentWriteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        comment = comment_services.add_comment(
            document, actor=request.user, **incoming.validated_data
        )
        return Response(
            CommentSerializer(self._comment(document, comment.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(methods=["PATCH"], request=CommentEditSerializer, responses=CommentSerializer)
    @extend_schema(methods=["DELETE"], request=None, responses={204: None})
    @action(
        detail=True,
        methods=["patch", "delete"],
        url_path=r"comments/(?P<comment_id>[0-9]{1,18})",
        filterset_class=None,
    )
    def comment(self, request, slug=None, comment_id=None):
        document = self.get_object()
        comment = self._comment(document, comment_id)
        if request.method == "DELETE":
            comment_services.delete_comment(comment, actor=request.user)
            return Response(status=status.HTTP_204_NO_CONTENT)
        incoming = CommentEditSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        comment_services.edit_comment(comment, actor=request.user, **incoming.validated_data)
        return Response(CommentSerializer(self._comment(document, comment.pk)).data)

    @extend_schema(methods=["POST"], request=HideSerializer, responses={200: CommentSerializer})
    @extend_schema(methods=["DELETE"], request=None, responses={200: CommentSerializer})
    @action(
        detail=True,
        methods=["post", "delete"],
        url_path=r"comments/(?P<comment_id>[0-9]{1,18})/hide",
        filterset_class=None,
    )
    def comment_hide(self, request, slug=None, comment_id=None):
        document = self.get_object()
        comment = self._comment(document, comment_id)
        if request.method == "DELETE":
            comment_services.unhide_comment(comment, actor=request.user)
        else:
            incoming = HideSerializer(data=request.data)
            incoming.is_valid(raise_exception=True)
            comment_services.hide_comment(comment, actor=request.user, **incoming.validated_data)
        return Response(CommentSerializer(self._comment(document, comment.pk)).data)
