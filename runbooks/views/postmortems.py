"""What only post-mortem pages have: action items on the read page (the kind's
`page_context`), adding one, and `/action-items/`: the open items of the reader's providers."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Value, When
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from runbooks import access
from runbooks.kinds.postmortem import BODY_TEMPLATE
from runbooks.models import ActionItem, Alert, Postmortem, Provider, roles_of
from runbooks.services import postmortems as postmortem_services
from runbooks.visibility import can_edit


class ActionItemForm(forms.Form):
    title = forms.CharField(max_length=200)
    owner = forms.CharField(max_length=150, required=False, help_text="Username, optional.")
    due_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    tracker_url = forms.CharField(max_length=2000, required=False, label="Tracker URL")


def detail_context(request, postmortem) -> dict:
    may_edit = can_edit(request.user, postmortem)
    return {
        "action_items": postmortem.action_items.select_related("owner"),
        "action_item_form": ActionItemForm(auto_id="id_item_%s") if may_edit else None,
    }


@require_POST
@login_required
def action_item_add(request, kind, slug):
    postmortem = access.get_document(request.user, kind, slug, access.EDIT)
    form = ActionItemForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"Action item not added ({field}): {' '.join(errors)}")
        return redirect(f"{postmortem.get_absolute_url()}#action-items")
    try:
        postmortem_services.add_action_item(postmortem, actor=request.user, **form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, "Action item not added: " + " ".join(exc.messages))
    else:
        messages.success(request, "Action item added.")
    return redirect(f"{postmortem.get_absolute_url()}#action-items")


@login_required
def action_item_list(request):
    """Open action items of the post-mortems of the reader's providers; the reader's own first,
    overdue ones marked; filterable by owner and provider."""
    visible = Postmortem.objects.visible_to(request.user).filter(
        provider__in=list(roles_of(request.user))
    )
    items = ActionItem.objects.filter(status=ActionItem.Status.OPEN, postmortem__in=visible)
    owner, provider = request.GET.get("owner", ""), request.GET.get("provider", "")
    if owner:
        items = items.filter(owner__username=owner)
    if provider:
        items = items.filter(postmortem__provider__slug=provider)
    mine = Case(
        When(owner=request.user, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    items = items.select_related("owner", "postmortem__provider").annotate(mine=mine)
    page = Paginator(items.order_by("mine", "due_date", "pk"), 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "filters": {"owner": owner, "provider": provider},
        "providers": Provider.objects.filter(pk__in=list(roles_of(request.user))),
    }
    return render(request, "action_items/list.html", context)


# --- Starting a post-mortem from an alert ----------------------------------------------------

TIMELINE_LIMIT = 50


def from_alert(request, alert_id) -> tuple[dict, dict]:
    """(form initial, links) for a post-mortem started from alert `alert_id`: the window from
    its first to its last notification, the alert linked, the runbook it opened pinned at its
    current revision (not judged yet), and timeline lines drafted from the provider's alerts in
    that window. Only what was received is written; the author edits the rest."""
    alert = get_object_or_404(Alert.objects.visible_to(request.user), pk=alert_id)
    start, end = alert.starts_at, alert.ends_at or alert.last_seen
    initial = {
        "title": f"Incident: {alert.alertname}",
        "incident_start": start,
        "incident_end": end,
        "body": BODY_TEMPLATE.replace(
            "- HH:MM — first alert\n- HH:MM — resolved\n",
            _timeline(request.user, alert, start, end),
        ),
        "from_alert": alert.pk,
    }
    links = {"alerts": [alert.pk]}
    if alert.runbook_id and alert.runbook_visible:
        links["runbooks_used"] = [{"runbook": alert.runbook.slug, "verdict": ""}]
    return initial, links


def _timeline(user, alert, start, end) -> str:
    """ "- HH:MM — Name fired (runbook …)" and "… resolved" lines, oldest first."""
    window = Alert.objects.visible_to(user).filter(
        provider=alert.provider, starts_at__lte=end, last_seen__gte=start
    )
    events = []
    for other in window.order_by("starts_at")[:TIMELINE_LIMIT]:
        opened = (
            f" — opened “{other.runbook.title}”"
            if other.runbook_id and other.runbook_visible
            else ""
        )
        events.append((other.starts_at, f"{other.alertname} fired{opened}"))
        if other.ends_at and other.ends_at <= end:
            events.append((other.ends_at, f"{other.alertname} resolved"))
    lines = [f"- {moment:%Y-%m-%d %H:%M} — {text}" for moment, text in sorted(events)]
    return "\n".join(lines) + "\n" if lines else "- HH:MM — \n"
