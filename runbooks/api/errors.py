"""Every answer under /api/ is JSON: DRF's errors, Django's 404/500/CSRF pages, and body limits."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse, JsonResponse
from django.views import defaults
from django.views.csrf import csrf_failure as django_csrf_failure
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler

from runbooks.services import EditConflict

API_PREFIX = "/api/"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The document changed since the revision this request started from."
    default_code = "conflict"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"


def exception_handler(exc, context):
    """DRF's handler, taught the domain's exceptions so none of them becomes a 500."""
    if isinstance(exc, EditConflict):
        response = drf_exception_handler(Conflict(str(exc)), context)
        response.data["current_revision"] = exc.current.number if exc.current else 0
        return response
    if isinstance(exc, DjangoValidationError):
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"detail": " ".join(exc.messages)}
        )
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    return drf_exception_handler(exc, context)


def _is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def not_found(request, exception=None):
    if _is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _is_api(request):
        return JsonResponse({"detail": "Server error."}, status=500)
    return defaults.server_error(request)


def bad_request(request, exception=None):
    if _is_api(request):
        return JsonResponse({"detail": "Bad request."}, status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception=None):
    if _is_api(request):
        return JsonResponse({"detail": "You do not have permission to do this."}, status=403)
    return defaults.permission_denied(request, exception)


def csrf_failure(request, reason=""):
    if _is_api(request):
        return JsonResponse({"detail": f"CSRF check failed: {reason}"}, status=403)
    return django_csrf_failure(request, reason)


def content_length(request) -> int:
    """The announced body size; 0 when absent or garbled (reading is capped anyway)."""
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


class BodySizeLimitMiddleware:
    """Refuse an oversized body by its Content-Length before anything reads it (413).

    Everything but the alert webhooks may send OPENOPS_MAX_BODY_BYTES; the webhooks allow
    OPENOPS_WEBHOOK_MAX_BYTES and check it themselves, after the token.
    DATA_UPLOAD_MAX_MEMORY_SIZE stays the hard cap for bodies that come without a length.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path in settings.OPENOPS_WEBHOOK_PATHS:
            # Webhooks check their token before the size (DESIGN §5), in the view.
            return self.get_response(request)
        limit, length = settings.OPENOPS_MAX_BODY_BYTES, content_length(request)
        if length > limit:
            message = f"The request body is {length} bytes; the limit here is {limit} bytes."
            if _is_api(request):
                return JsonResponse({"detail": message}, status=413)
            return HttpResponse(message, status=413, content_type="text/plain")
        return self.get_response(request)
