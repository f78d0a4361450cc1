"""What only the post-mortems API has: `…/action-items/` (GET, POST) and
`…/action-items/<id>/` (PATCH), registered in the post-mortem kind."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from runbooks.kinds.postmortem import ActionItemSerializer
from runbooks.models import ActionItem
from runbooks.services import postmortems as postmortem_services


class ActionItemWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    owner = serializers.CharField(
        max_length=150, required=False, allow_null=True, allow_blank=True, help_text="Username."
    )
    due_date = serializers.DateField(required=False, allow_null=True)
    status = serializers.ChoiceField(choices=ActionItem.Status.choices, required=False)
    tracker_url = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class ActionItemActions:
    @extend_schema(
        methods=["GET"], responses=ActionItemSerializer(many=True), filters=False, request=None
    )
    @extend_schema(
        methods=["POST"], request=ActionItemWriteSerializer, responses={201: ActionItemSerializer}
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="action-items",
        filterset_class=None,
        pagination_class=None,
    )
    def action_items(self, request, slug=None):
        postmortem = self.get_object()
        if request.method == "GET":
            items = postmortem.action_items.select_related("owner")
            return Response(ActionItemSerializer(items, many=True).data)
        incoming = ActionItemWriteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        item = postmortem_services.add_action_item(
            postmortem, actor=request.user, **incoming.validated_data
        )
        return Response(ActionItemSerializer(item).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ActionItemWriteSerializer, responses=ActionItemSerializer)
    @action(
        detail=True,
        methods=["patch"],
        url_path=r"action-items/(?P<item_id>[0-9]{1,18})",
        filterset_class=None,
    )
    def action_item(self, request, slug=None, item_id=None):
        postmortem = self.get_object()
        item = postmortem.action_items.filter(pk=item_id).first()
        if item is None:
            raise NotFound("No such action item in this post-mortem.")
        incoming = ActionItemWriteSerializer(data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        item = postmortem_services.change_action_item(
            item, actor=request.user, **incoming.validated_data
        )
        return Response(ActionItemSerializer(item).data)
