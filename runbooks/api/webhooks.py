"""Alert webhooks: Alertmanager (v4) and Grafana contact points (DESIGN §5).

Order per request: token (401/403) → size (413) → JSON and shape (400) → rate limit (503 with
Retry-After, so the sender retries) → store the body → commit → 202. Alertmanager retries 5xx
and drops 4xx, so 4xx is only for input that can never become valid.
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, NotAuthenticated, ParseError
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from runbooks import payloads, ratelimit, tasks
from runbooks.models import AlertSource, Scope
from runbooks.services import intake
from runbooks.visibility import token_may_send_alerts

from .authentication import BearerTokenAuthentication
from .errors import PayloadTooLarge, content_length
from .permissions import token_of


class SendsAlerts(BasePermission):
    """alerts:write and a provider, and a token made by a user never grants more than that
    user may do now (`runbooks.visibility.token_may_send_alerts`)."""

    message = "This token may not send alerts: it needs the alerts:write scope and a provider."

    def has_permission(self, request, view) -> bool:
        token = token_of(request)
        if token is None:
            raise NotAuthenticated("Send `Authorization: Bearer <token>` with alerts:write.")
        if token_may_send_alerts(token):
            return True
        if token.user is not None and token.provider_id and token.has_scope(Scope.ALERTS_WRITE):
            self.message = (
                f"This token's owner is no longer an editor of {token.provider.slug}, "
                "so it may not send that provider's alerts."
            )
        return False


class TooManyRequests(APIException):
    """503, not 429: Alertmanager retries 5xx and would drop a 4xx body."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Too many webhook bodies for this token; retry shortly."
    default_code = "rate_limited"


ACCEPTED = inline_serializer(
    "WebhookAccepted",
    {"id": serializers.IntegerField(), "alerts": serializers.IntegerField()},
)
WEBHOOK_BODY = inline_serializer(
    "WebhookBody",
    {
        "version": serializers.CharField(required=False),
        "status": serializers.CharField(required=False),
        "alerts": serializers.ListField(child=serializers.DictField()),
        "truncatedAlerts": serializers.IntegerField(required=False),
    },
)


class WebhookView(APIView):
    source: str = AlertSource.ALERTMANAGER
    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [SendsAlerts]

    def _body(self, request) -> bytes:
        limit, length = settings.OPENOPS_WEBHOOK_MAX_BYTES, content_length(request)
        if length > limit:
            raise PayloadTooLarge(f"The body is {length} bytes; the limit is {limit} bytes.")
        try:
            return request._request.body
        except RequestDataTooBig:
            raise PayloadTooLarge(f"The body is larger than {limit} bytes.") from None

    def receive(self, request):
        token = token_of(request)
        body = self._body(request)
        try:
            parsed = payloads.parse(body, self.source)
        except payloads.PayloadError as exc:
            raise ParseError(str(exc)) from None
        allowed, retry_after = ratelimit.hit(f"webhook:{token.pk}", settings.OPENOPS_WEBHOOK_RATE)
        if not allowed:
            response = self.handle_exception(TooManyRequests())
            response["Retry-After"] = str(retry_after)
            return response
        entry = intake.accept(token, self.source, body, parsed)
        tasks.process_on_commit(entry.pk)
        return Response({"id": entry.pk, "alerts": entry.alert_count}, status=202)


_RESPONSES = {
    202: ACCEPTED,
    503: OpenApiResponse(description="Rate limited; retry after the Retry-After header."),
}


class AlertmanagerWebhook(WebhookView):
    source = AlertSource.ALERTMANAGER

    @extend_schema(request=WEBHOOK_BODY, responses=_RESPONSES, summary="Alertmanager webhook v4")
    def post(self, request):
        return self.receive(request)


class GrafanaWebhook(WebhookView):
    source = AlertSource.GRAFANA

    @extend_schema(request=WEBHOOK_BODY, responses=_RESPONSES, summary="Grafana contact point")
    def post(self, request):
        return self.receive(request)

    @extend_schema(request=WEBHOOK_BODY, responses=_RESPONSES, summary="Grafana contact point")
    def put(self, request):
        return self.receive(request)
