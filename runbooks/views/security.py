"""Where browsers report what the Content Security Policy blocked (settings: CSP)."""

import json
import logging

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from runbooks import ratelimit

logger = logging.getLogger("openops.csp")
MAX_REPORT_BYTES = 16 * 1024
# What a report may say, and how much of each: enough to find the page and the rule.
FIELDS = {
    "document-uri": 300,
    "documentURL": 300,
    "violated-directive": 100,
    "effectiveDirective": 100,
    "effective-directive": 100,
    "blocked-uri": 300,
    "blockedURL": 300,
    "source-file": 300,
    "sourceFile": 300,
    "line-number": 12,
    "lineNumber": 12,
}


@csrf_exempt
@require_POST
def csp_report(request):
    """Log a violation report (the old `report-uri` shape or the Reporting API's list); 204
    whatever it holds, 413 when too big, 429 over the rate. Nothing is stored."""
    address = get_client_ip_address(request) or "unknown"
    allowed, retry_after = ratelimit.hit(f"csp:{address}", settings.OPENOPS_CSP_REPORT_RATE)
    if not allowed:
        response = HttpResponse("Too many reports.", status=429, content_type="text/plain")
        response["Retry-After"] = str(retry_after)
        return response
    if len(request.body) > MAX_REPORT_BYTES:
        return HttpResponse("Report too large.", status=413, content_type="text/plain")
    for report in _reports(request.body):
        logger.warning("CSP violation from %s: %s", address, json.dumps(report, sort_keys=True))
    return HttpResponse(status=204)


def _reports(body: bytes) -> list[dict]:
    """The reports in a body, each cut down to the known fields; nothing for what is not one."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return []
    items = data if isinstance(data, list) else [data]
    reports = []
    for item in items[:10]:
        if not isinstance(item, dict):
            continue
        report = item.get("csp-report", item.get("body"))
        if isinstance(report, dict):
            reports.append(
                {
                    key: str(report[key])[:limit].encode("utf-8", "replace").decode()
                    for key, limit in FIELDS.items()
                    if key in report
                }
            )
    return reports
