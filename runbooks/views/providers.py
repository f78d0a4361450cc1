"""A provider's public face: who they are and what of theirs the visitor may see.

Everyone sees what the provider shares (through `visible_to`, like every page); signed-in
readers also see which of its runbooks alerts open most (counts only, like the firing history
of a runbook page); its members also see who belongs to it and what its post-mortems still
have to do. The number of queries depends on the number of kinds, not on the amount of data."""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, F, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from runbooks.models import (
    ROLE_RANK,
    ActionItem,
    Document,
    Postmortem,
    Provider,
    Runbook,
    roles_of,
)
from runbooks.services import people
from runbooks.views.documents import grouped_by_kind
from runbooks.views.notifications import watch_state
from runbooks.visibility import administers

PER_KIND = 50
MOST_USED = 10
ACTION_ITEMS = 10
ALERT_WINDOW = timedelta(days=90)


def provider_detail(request, slug):
    provider = get_object_or_404(Provider, slug=slug)
    user = request.user
    my_role = roles_of(user).get(provider.pk)
    context = {
        "provider": provider,
        "my_role": my_role,
        "groups": shared_by_kind(user, provider),
        "most_used": most_used_runbooks(user, provider) if user.is_authenticated else (),
        "alert_days": ALERT_WINDOW.days,
        "watching": watch_state(user, provider=provider),
        "administers": administers(user, provider),
    }
    if my_role is not None:  # who belongs and what is left to do: for members only
        items = open_action_items(user, provider)
        context["members"] = members_by_role(provider)
        context["action_items"] = items[:ACTION_ITEMS]
        context["action_item_count"] = items.count()
    if context["administers"]:
        context["status_page_form"] = StatusPageForm(
            initial={"status_page_url": provider.status_page_url}, auto_id="id_status_%s"
        )
    return render(request, "providers/detail.html", context)


class StatusPageForm(forms.Form):
    status_page_url = forms.URLField(
        required=False,
        max_length=2000,
        assume_scheme="https",
        label="Status page",
        help_text="Your public status page; your alerts' pages link to it. Empty: none.",
    )


@require_POST
@login_required
def status_page(request, slug):
    """A provider admin sets the status page its alert pages link to."""
    provider = get_object_or_404(Provider, slug=slug)
    people.require_admin(provider, actor=request.user)  # before the form: 403 whatever was sent
    form = StatusPageForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors["status_page_url"])
        people.set_status_page(provider, form.cleaned_data["status_page_url"], actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Status page saved.")
    return redirect("provider-detail", slug=slug)


def shared_by_kind(user, provider) -> list[dict]:
    """The provider's documents `user` may see, a group per kind: its count and the newest."""
    shared = Document.objects.visible_to(user).filter(provider=provider)
    return grouped_by_kind(shared, ("-created_at", "-pk"), PER_KIND)


def most_used_runbooks(user, provider):
    """The provider's runbooks `user` may see that alerts opened lately, most opened first,
    each with `opened`: how many alerts (a number only, never the alerts themselves)."""
    since = timezone.now() - ALERT_WINDOW
    opened = Count("alerts", filter=Q(alerts__starts_at__gte=since))
    runbooks = Runbook.objects.visible_to(user).filter(provider=provider).annotate(opened=opened)
    return runbooks.filter(opened__gt=0).order_by("-opened", "title", "pk")[:MOST_USED]


def members_by_role(provider) -> list:
    """The provider's memberships, admins first, then by username."""
    memberships = provider.memberships.select_related("user")
    return sorted(memberships, key=lambda m: (-ROLE_RANK[m.role], m.user.get_username()))


def open_action_items(user, provider):
    """Open action items of the provider's post-mortems `user` may see, soonest due first."""
    postmortems = Postmortem.objects.visible_to(user).filter(provider=provider)
    items = ActionItem.objects.filter(status=ActionItem.Status.OPEN, postmortem__in=postmortems)
    due = F("due_date").asc(nulls_last=True)
    return items.select_related("owner", "postmortem").order_by(due, "pk")
