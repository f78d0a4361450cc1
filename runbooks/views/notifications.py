"""/notifications/ (what you were told, what you watch, how you want mail), the watch buttons,
and the one-click unsubscribe link of every mail."""

import functools

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from runbooks import access
from runbooks.models import Document, MailPreference, Notification, Subscription
from runbooks.services import events
from runbooks.services import notifications as notification_services

PAGE_SIZE = 30
TARGETS = ("document", "tag", "provider")


class MailForm(forms.Form):
    mode = forms.ChoiceField(
        choices=MailPreference.Mode.choices, widget=forms.RadioSelect, label="Mail me"
    )


def unread_count(request) -> dict:
    """The header's unread count (a context processor): counted only where a page shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    @functools.cache  # a template may ask more than once
    def count() -> int:
        return visible_notifications(user).filter(read_at=None).count()

    return {"unread_count": count, "may_audit": access.audit_entries(user) is not None}


def visible_notifications(user):
    """What `user` was told about documents they may still see (a hidden comment drops out)."""
    return Notification.objects.filter(
        recipient=user,
        event__document__in=Document.objects.visible_to(user),
        event__comment__hidden_at=None,
    )


@login_required
def notification_list(request):
    notifications = visible_notifications(request.user).select_related(
        "event__document", "event__actor", "event__comment"
    )
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    watching = access.subscriptions(request.user)
    context = {
        "page": page,
        "watching": watching,
        "mail_form": MailForm(initial={"mode": notification_services.mode_of(request.user)}),
        "has_email": bool(request.user.email),
    }
    response = render(request, "notifications/list.html", context)
    notification_services.mark_read(request.user, [n.pk for n in page.object_list])  # seen now
    return response


@require_POST
@login_required
def mail_settings(request):
    form = MailForm(request.POST)
    if form.is_valid():
        notification_services.set_mode(request.user, form.cleaned_data["mode"])
        messages.success(request, "Saved.")
    else:
        messages.error(request, "Choose one of the three.")
    return redirect("notification-list")


@require_POST
@login_required
def watch(request):
    """Watch or stop watching a document, tag or provider the user may see."""
    target_kind = request.POST.get("target", "")
    if target_kind not in TARGETS:
        raise Http404("Nothing to watch there.")
    pk = request.POST.get("id", "")
    if not pk.isdigit() or len(pk) > 18:
        raise Http404("Nothing to watch there.")
    unwatching = request.POST.get("action") == "unwatch"
    target = _target(request.user, target_kind, int(pk), unwatching)
    if unwatching:
        events.unwatch(request.user, **{target_kind: target})
        messages.success(request, "You no longer watch it.")
    else:
        events.watch(request.user, **{target_kind: target})
        messages.success(request, "Watching: you are told about changes and comments.")
    back = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure())
    if back.startswith("/") and safe:  # a page of this site, never elsewhere
        return HttpResponseRedirect(back)
    return redirect("notification-list")


def _target(user, target_kind: str, pk: int, unwatching: bool):
    """What `user` may watch (`access.watchable`: anything else is a 404 like what does not
    exist); what they already watch they may always stop watching."""
    target = access.watchable(user, target_kind).filter(pk=pk).first()
    if target is None and unwatching:
        watched = access.subscriptions(user).filter(**{f"{target_kind}_id": pk}).first()
        target = getattr(watched, target_kind, None)
    if target is None:
        raise Http404("Nothing to watch there.")
    return target


@csrf_exempt  # the signed token is the authority; mail clients POST one-click unsubscribes
def unsubscribe(request, token):
    try:
        signing.loads(token, salt=notification_services.UNSUBSCRIBE_SALT, max_age=365 * 86400)
    except signing.BadSignature:
        raise Http404("This unsubscribe link is not valid (or older than a year).") from None
    if request.method == "POST":
        done = notification_services.unsubscribe(token)
        return render(request, "notifications/unsubscribed.html", {"done": done})
    return render(request, "notifications/unsubscribe.html", {"token": token})


def watch_state(user, **target) -> bool | None:
    """Whether `user` watches the target (None when signed out: no button)."""
    if not user.is_authenticated:
        return None
    return Subscription.objects.filter(user=user, **target).exists()
