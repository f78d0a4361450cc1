"""Every answer under /api/ is JSON: DRF's errors, Django's 404/500/CSRF pages, and body limits."""

import io

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse, JsonResponse, QueryDict
from django.views import defaults
from django.views.csrf import csrf_failure as django_csrf_failure
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler

from runbooks import inputs
from runbooks.services.base import EditConflict

API_PREFIX = "/api/"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The document changed since the revision this request started from."
    default_code = "conflict"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The document changed since the ETag named in If-Match."
    default_code = "precondition_failed"


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


MAX_URL_LENGTH = 4096  # gunicorn.conf.py lets lines up to 8190 through, so the app answers


def _refuse(request, message: str, status_code: int) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": message}, status=status_code)
    return HttpResponse(message, status=status_code, content_type="text/plain; charset=utf-8")


def _read_chunked(request, limit: int) -> HttpResponse | None:
    """Read a chunked body (no Content-Length) so views see it like any other: at most
    `limit` + 1 bytes, so that an oversized one still reads as too large where sizes are
    checked (here, or after the token for webhooks).

    Only a server that de-chunks and terminates the stream (gunicorn sets wsgi.input_terminated)
    can be read safely; elsewhere the client is asked for a length (411).
    """
    if not request.META.get("wsgi.input_terminated"):
        return _refuse(request, "Send the body with a Content-Length.", 411)
    body = request.META["wsgi.input"].read(limit + 1)
    request._stream = io.BytesIO(body)
    request.META["CONTENT_LENGTH"] = str(len(body))
    return None


def _is_chunked(request) -> bool:
    encoding = request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
    return "chunked" in encoding and not request.META.get("CONTENT_LENGTH")


def _clean_query(request) -> None:
    """NUL in a query string would reach the database (PostgreSQL refuses it): replace it."""
    if "%00" in request.META.get("QUERY_STRING", ""):
        cleaned = QueryDict(mutable=True)
        for key, values in request.GET.lists():
            cleaned.setlist(inputs.clean_text(key), [inputs.clean_text(v) for v in values])
        cleaned._mutable = False
        request.GET = cleaned


class RequestLimitsMiddleware:
    """Refuse an oversized body by its Content-Length before anything reads it (413).

    Everything but the alert webhooks may send OPENOPS_MAX_BODY_BYTES; the webhooks allow
    OPENOPS_WEBHOOK_MAX_BYTES and check it themselves, after the token. A chunked body is read
    here within the same limit. DATA_UPLOAD_MAX_MEMORY_SIZE stays the hard cap for bodies that
    come without a length. An over-long URL is refused here too, in JSON under /api/, and
    NUL in the query string is replaced.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if len(request.get_full_path()) > MAX_URL_LENGTH:
            return _refuse(request, f"The URL is longer than {MAX_URL_LENGTH} characters.", 414)
        if "\x00" in request.path_info:  # nothing here has NUL in its name
            return _refuse(request, "Not found.", 404)
        _clean_query(request)
        webhook = request.path in settings.OPENOPS_WEBHOOK_PATHS
        limit = settings.OPENOPS_WEBHOOK_MAX_BYTES if webhook else settings.OPENOPS_MAX_BODY_BYTES
        if _is_chunked(request):
            refused = _read_chunked(request, limit)
            if refused is not None:
                return refused
        if webhook:
            # Webhooks check their token before the size (DESIGN §5), in the view.
            return self.get_response(request)
        length = content_length(request)
        if length > limit:
            message = f"The request body is {length} bytes; the limit here is {limit} bytes."
            return _refuse(request, message, 413)
        return self.get_response(request)
