"""API writes are rate-limited per token, else per signed-in user (OPENOPS_API_WRITE_RATE a
minute), counted in the store every worker shares (`runbooks.ratelimit`). Reads are not; alarm
receivers have their own limit (OPENOPS_WEBHOOK_RATE)."""

from axes.helpers import get_client_ip_address
from django.conf import settings
from rest_framework.permissions import SAFE_METHODS
from rest_framework.throttling import BaseThrottle

from runbooks import ratelimit
from runbooks.models import Token


class WriteRate(BaseThrottle):
    def allow_request(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return True
        allowed, self.retry_after = ratelimit.hit(
            f"api-write:{_writer(request)}", settings.OPENOPS_API_WRITE_RATE
        )
        return allowed

    def wait(self) -> int:
        return self.retry_after


def _writer(request) -> str:
    if isinstance(request.auth, Token):
        return f"token:{request.auth.pk}"
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    return f"address:{get_client_ip_address(request._request) or 'unknown'}"
