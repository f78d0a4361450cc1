"""Alarm receivers: Alertmanager (v4) and Grafana webhooks, PagerDuty Events API v2 events and
the Health Monitor's alarm mails (DESIGN §5).

Order per request: token (401/403) → size (413) → JSON and shape (400) → rate limit (503 with
Retry-After, so the sender retries) → store the body → commit → 202. Alertmanager retries 5xx
and drops 4xx, so 4xx is only for input that can never become valid. An event without an
Authorization header carries its token as `routing_key`, checked after size and JSON.
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import (
    APIException,
    NotAuthenticated,
    ParseError,
    PermissionDenied,
    UnsupportedMediaType,
)
from rest_framework.parsers import BaseParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from runbooks import payloads, ratelimit, tasks
from runbooks.models import AlertSource, Scope
from runbooks.payloads import events
from runbooks.services import intake
from runbooks.visibility import token_may_send_alerts

from .authentication import BearerTokenAuthentication, token_for_secret
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
        check_sender(token)
        return True


class SendsAlertsOrKeyInBody(SendsAlerts):
    """As SendsAlerts; without an Authorization header the body's `routing_key` is the token,
    checked by the view once the body's size and JSON are known good."""

    def has_permission(self, request, view) -> bool:
        if not request.headers.get("Authorization"):
            return True
        return super().has_permission(request, view)


def check_sender(token) -> None:
    """403 unless the token may send alerts now, saying why when the reason is its owner."""
    if token_may_send_alerts(token):
        return
    if token.user is not None and token.provider_id and token.has_scope(Scope.ALERTS_WRITE):
        raise PermissionDenied(
            f"This token's owner is no longer an editor of {token.provider.slug}, "
            "so it may not send that provider's alerts."
        )
    raise PermissionDenied(SendsAlerts.message)


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


class Receiver(APIView):
    """What every alarm receiver does with a body once it may: check it whole, store it as
    received, answer 202 (`answer`); the worker makes alerts of it later."""

    source: str = AlertSource.ALERTMANAGER
    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [SendsAlerts]
    throttle_classes = []  # OPENOPS_WEBHOOK_RATE, counted once the body is known good (store)

    def read_body(self, request) -> bytes:
        limit, length = settings.OPENOPS_WEBHOOK_MAX_BYTES, content_length(request)
        if length > limit:
            raise PayloadTooLarge(f"The body is {length} bytes; the limit is {limit} bytes.")
        try:
            return request._request.body
        except RequestDataTooBig:
            raise PayloadTooLarge(f"The body is larger than {limit} bytes.") from None

    def parse(self, body: bytes) -> payloads.ParsedBody:
        return payloads.parse(body, self.source, timezone.now())

    def receive(self, request):
        token = token_of(request)
        body = self.read_body(request)
        try:
            parsed = self.parse(body)
        except payloads.PayloadError as exc:
            raise ParseError(str(exc)) from None
        return self.store(token, body, parsed)

    def store(self, token, body: bytes, parsed: payloads.ParsedBody) -> Response:
        allowed, retry_after = ratelimit.hit(f"webhook:{token.pk}", settings.OPENOPS_WEBHOOK_RATE)
        if not allowed:
            response = self.handle_exception(TooManyRequests())
            response["Retry-After"] = str(retry_after)
            return response
        entry = intake.accept(token, self.source, body, parsed)
        tasks.process_on_commit(entry.pk)
        return self.answer(entry, parsed)

    def answer(self, entry, parsed: payloads.ParsedBody) -> Response:
        return Response({"id": entry.pk, "alerts": entry.alert_count}, status=202)


_RESPONSES = {
    202: ACCEPTED,
    503: OpenApiResponse(description="Rate limited; retry after the Retry-After header."),
}


class AlertmanagerWebhook(Receiver):
    source = AlertSource.ALERTMANAGER

    @extend_schema(request=WEBHOOK_BODY, responses=_RESPONSES, summary="Alertmanager webhook v4")
    def post(self, request):
        return self.receive(request)


class GrafanaWebhook(Receiver):
    source = AlertSource.GRAFANA

    @extend_schema(request=WEBHOOK_BODY, responses=_RESPONSES, summary="Grafana contact point")
    def post(self, request):
        return self.receive(request)

    @extend_schema(request=WEBHOOK_BODY, responses=_RESPONSES, summary="Grafana contact point")
    def put(self, request):
        return self.receive(request)


EVENT_BODY = inline_serializer(
    "EventV2",
    {
        "routing_key": serializers.CharField(
            required=False, help_text="The token, when no Authorization header is sent."
        ),
        "event_action": serializers.ChoiceField(choices=sorted(events.ACTIONS)),
        "dedup_key": serializers.CharField(required=False, max_length=events.MAX_DEDUP_KEY),
        "payload": serializers.DictField(required=False),
        "links": serializers.ListField(child=serializers.DictField(), required=False),
        "client": serializers.CharField(required=False),
        "client_url": serializers.URLField(required=False),
    },
)
EVENT_ACCEPTED = inline_serializer(
    "EventAccepted",
    {
        "status": serializers.CharField(),
        "message": serializers.CharField(),
        "dedup_key": serializers.CharField(),
        "id": serializers.IntegerField(),
    },
)

EVENT_INVALID = inline_serializer(
    "EventInvalid",
    {
        "status": serializers.CharField(),
        "message": serializers.CharField(),
        "errors": serializers.ListField(child=serializers.CharField()),
        "detail": serializers.CharField(),
    },
)


class EventsReceiver(Receiver):
    """PagerDuty Events API v2: one event per body, answered as PagerDuty answers."""

    source = AlertSource.EVENTS
    permission_classes = [SendsAlertsOrKeyInBody]

    @extend_schema(
        request=EVENT_BODY,
        responses={**_RESPONSES, 202: EVENT_ACCEPTED, 400: EVENT_INVALID},
        summary="PagerDuty Events API v2",
    )
    def post(self, request):
        body = self.read_body(request)
        try:
            data = payloads.load_object(body)
            token = token_of(request) or self._token_in(data)
            parsed = events.parse(data, timezone.now())
        except payloads.PayloadError as exc:
            return self._invalid(str(exc))
        return self.store(token, body, parsed)

    def _token_in(self, data: dict):
        key = data.get("routing_key")
        if not isinstance(key, str) or not key.strip():
            raise NotAuthenticated(
                "Send `Authorization: Bearer <token>`, or the token as the body's routing_key."
            )
        token = token_for_secret(key.strip(), self.request)
        check_sender(token)
        return token

    def _invalid(self, message: str) -> Response:
        """400 in PagerDuty's words (`errors`), and ours (`detail`)."""
        body = {"status": "invalid event", "message": "Event object is invalid"}
        return Response({**body, "errors": [message], "detail": message}, status=400)

    def answer(self, entry, parsed: payloads.ParsedBody) -> Response:
        dedup_key = parsed.alerts[0].extra["dedup_key"]
        body = {"status": "success", "message": "Event processed", "dedup_key": dedup_key}
        return Response({**body, "id": entry.pk}, status=202)


class MailParser(BaseParser):
    """Declares the mail receiver's body (the view reads the bytes itself)."""

    media_type = "message/rfc822"

    def parse(self, stream, media_type=None, parser_context=None) -> bytes:
        return stream.read()


class AlarmMailReceiver(Receiver):
    """The Health Monitor's alarm mails, from a mail-to-webhook relay (the MTA's pipe is the
    `receive_alarm_mail` command)."""

    source = AlertSource.HEALTHMONITOR
    parser_classes = [MailParser]

    @extend_schema(
        request={MailParser.media_type: OpenApiTypes.BINARY},
        responses=_RESPONSES,
        summary="OpenStack Health Monitor alarm mail (RFC 822)",
    )
    def post(self, request):
        if request.content_type.split(";")[0].strip().lower() != MailParser.media_type:
            raise UnsupportedMediaType(
                request.content_type,
                detail="Send the whole mail with `Content-Type: message/rfc822`.",
            )
        return self.receive(request)
