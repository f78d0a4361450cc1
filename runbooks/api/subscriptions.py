"""`/api/v1/subscriptions/`: what the caller watches (GET), watch a document, tag or provider
(POST `{document: "<kind>/<slug>"} | {tag: slug} | {provider: slug}`), stop (DELETE by id)."""

from rest_framework import mixins, serializers, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from runbooks import access
from runbooks.kinds.registry import KINDS
from runbooks.models import Subscription
from runbooks.services import events

from .permissions import TokenScopes


class SubscriptionSerializer(serializers.ModelSerializer):
    document = serializers.SerializerMethodField(help_text='"<kind>/<slug>", or null.')
    tag = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    provider = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)

    class Meta:
        model = Subscription
        fields = ["id", "document", "tag", "provider", "created_at"]
        read_only_fields = fields

    def get_document(self, subscription) -> str | None:
        """Null too for a document the caller may no longer read (`access.subscriptions`)."""
        document = subscription.document
        if document is None or not getattr(subscription, "document_visible", False):
            return None
        return f"{KINDS[document.kind].url_prefix}/{document.slug}"


class WatchSerializer(serializers.Serializer):
    document = serializers.CharField(max_length=250, required=False)
    tag = serializers.SlugField(max_length=50, required=False)
    provider = serializers.SlugField(max_length=50, required=False)

    def validate(self, attrs):
        if len(attrs) != 1:
            raise serializers.ValidationError("Name one document, tag or provider.")
        user = self.context["request"].user
        field = next(iter(attrs))
        found = access.watchable(user, field)
        if field == "document":
            prefix, _, slug = attrs["document"].partition("/")
            kinds = {spec.url_prefix: spec.kind for spec in KINDS}
            found = found.filter(kind=kinds.get(prefix, ""), slug=slug)
        else:
            found = found.filter(slug=attrs[field])
        target = found.first()
        if target is None:
            raise serializers.ValidationError({field: "There is no such thing you may see."})
        return {field: target}


class SubscriptionViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    serializer_class = SubscriptionSerializer
    permission_classes = [TokenScopes, IsAuthenticated]
    lookup_value_regex = r"[0-9]{1,18}"
    filter_backends = []

    def get_queryset(self):
        return access.subscriptions(self.request.user).order_by("-created_at", "-pk")

    def get_serializer_class(self):
        return WatchSerializer if self.action == "create" else SubscriptionSerializer

    def create(self, request, *args, **kwargs):
        incoming = WatchSerializer(data=request.data, context={"request": request})
        incoming.is_valid(raise_exception=True)
        subscription = events.watch(request.user, **incoming.validated_data)
        subscription = self.get_queryset().get(pk=subscription.pk)
        return Response(SubscriptionSerializer(subscription).data, status=status.HTTP_201_CREATED)
