"""Answers given before the middleware that reads sessions, for requests whose answer cannot
depend on one (issue 32: the anonymous runbook page and `/r/`).

A request that carries no session cookie, no messages cookie and no Authorization header is
anonymous for every page of OpenOps: the session middleware would find no user and no
messages. For such a GET or HEAD, `SignedOutFastPath` resolves the URL and asks the view's
`signed_out_answer` (set with `@answers_signed_out`): a cached page, a 304, a redirect to a
public runbook. The answer says None when it is not that simple (a page not yet cached, a
runbook the visitor may not see, a miss): the request then goes down the whole stack as
before, so refusals are counted, misses rendered and cookies set where they always were.

The answer uses the same functions as the view (`access`, `pagecache`, `resolution`), never a
copy of a rule. It sits inside every middleware that shapes a response without a session
(security headers, CSP, X-Frame-Options, Content-Length, the request limits, the audit
context), so a fast answer carries the same headers as the same answer through the stack
(tests/test_fastpath.py compares them), and inside Django's request cycle (database
connections are checked and closed as for any request: why not a WSGI wrapper).
"""

from django.urls import Resolver404, get_resolver

from runbooks.pagecache import BYPASS_COOKIES


def answers_signed_out(answer):
    """Mark a view: `answer(request, *args, **kwargs)` may answer it for requests that carry
    nothing personal, or say None."""

    def mark(view):
        view.signed_out_answer = answer
        return view

    return mark


def carries_nothing_personal(request) -> bool:
    return (
        request.method in ("GET", "HEAD")
        and not BYPASS_COOKIES & request.COOKIES.keys()
        and "HTTP_AUTHORIZATION" not in request.META
    )


class SignedOutFastPath:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        answer = _answer(request) if carries_nothing_personal(request) else None
        return answer if answer is not None else self.get_response(request)


def _answer(request):
    try:
        match = get_resolver(getattr(request, "urlconf", None)).resolve(request.path_info)
    except Resolver404:
        return None
    answer = getattr(match.func, "signed_out_answer", None)
    return answer(request, *match.args, **match.kwargs) if answer is not None else None
