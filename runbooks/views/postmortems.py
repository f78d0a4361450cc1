"""What only post-mortem pages have: action items on the read page (the kind's
`detail_context` in `views/kinds.py`), adding one, and `/action-items/`: the open items of the
reader's providers."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.core.validators import slug_re
from django.db.models import Case, IntegerField, Value, When
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from runbooks import access
from runbooks.kinds.postmortem import BODY_TEMPLATE, readable_alerts, readable_uses
from runbooks.models import ActionItem, Alert, Postmortem, Provider, Runbook, RunbookUse, roles_of
from runbooks.services import postmortems as postmortem_services
from runbooks.visibility import can_edit

MAX_USES = 50


class ActionItemForm(forms.Form):
    title = forms.CharField(max_length=200)
    owner = forms.CharField(max_length=150, required=False, help_text="Username, optional.")
    due_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    tracker_url = forms.CharField(max_length=2000, required=False, label="Tracker URL")


class ActionItemStatusForm(forms.Form):
    status = forms.ChoiceField(choices=ActionItem.Status.choices)


class RunbookUseForm(forms.Form):
    """One runbook used in the incident: which, the revision read (empty: the one current when
    the incident started) and how it served."""

    runbook = forms.SlugField(max_length=200, required=False, label="Runbook (slug)")
    revision = forms.IntegerField(min_value=1, max_value=2**31 - 1, required=False)
    verdict = forms.ChoiceField(
        choices=[("", "not judged yet"), *RunbookUse.Verdict.choices], required=False
    )


RunbookUseFormSet = forms.formset_factory(
    RunbookUseForm, extra=1, can_delete=True, max_num=MAX_USES, validate_max=True
)


def runbook_uses(user, postmortem) -> tuple[list, int]:
    """The runbooks used that `user` may see (with revision), and how many others there are."""
    uses = list(postmortem.runbook_uses.select_related("runbook", "revision"))
    shown = readable_uses(user, uses)
    return shown, len(uses) - len(shown)


def detail_context(request, postmortem) -> dict:
    may_edit = can_edit(request.user, postmortem)
    uses, hidden_uses = runbook_uses(request.user, postmortem)
    alerts = list(postmortem.alerts.all())
    visible_alerts = readable_alerts(request.user, alerts)
    context = {
        "action_items": postmortem.action_items.select_related("owner"),
        "uses": uses,
        "hidden_uses": hidden_uses,
        "linked_alerts": visible_alerts,
        "hidden_alerts": len(alerts) - len(visible_alerts),
    }
    if may_edit:
        initial = [
            {"runbook": u.runbook.slug, "revision": u.revision.number, "verdict": u.verdict}
            for u in uses
        ]
        context |= {
            "action_item_form": ActionItemForm(auto_id="id_item_%s"),
            "status_choices": ActionItem.Status.choices,
            # Editing the list needs every entry in it: with one the editor may not see, the
            # list is changed through the API by someone who sees it all.
            "uses_formset": RunbookUseFormSet(initial=initial) if not hidden_uses else None,
        }
    return context


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


@require_POST
@login_required
def action_item_change(request, kind, slug, item_id):
    """Mark an action item done, dropped or open again."""
    postmortem = access.get_document(request.user, kind, slug, access.EDIT)
    item = get_object_or_404(postmortem.action_items, pk=item_id)
    form = ActionItemStatusForm(request.POST)
    if form.is_valid():
        postmortem_services.change_action_item(item, actor=request.user, **form.cleaned_data)
        messages.success(request, f"“{item.title}” is now {item.get_status_display().lower()}.")
    else:
        messages.error(request, "Choose open, done or dropped.")
    return redirect(f"{postmortem.get_absolute_url()}#action-items")


@require_POST
@login_required
def runbooks_used_change(request, kind, slug):
    """Replace the runbooks used with the rows of the form (a removed row goes; an empty one is
    ignored); nothing changes when any row is refused."""
    postmortem = access.get_document(request.user, kind, slug, access.EDIT)
    anchor = f"{postmortem.get_absolute_url()}#runbooks-used"
    formset = RunbookUseFormSet(request.POST)
    if not formset.is_valid():
        problems = [f"{name}: {' '.join(e)}" for form in formset.errors for name, e in form.items()]
        problems += list(formset.non_form_errors())
        messages.error(request, "Runbooks used not saved. " + "; ".join(problems))
        return redirect(anchor)
    rows = [
        form.cleaned_data
        for form in formset
        if form.cleaned_data.get("runbook") and not form.cleaned_data.get("DELETE")
    ]
    uses = [
        {"runbook": row["runbook"], "revision": row["revision"], "verdict": row["verdict"]}
        for row in rows
    ]
    try:
        postmortem_services.set_runbooks_used(postmortem, uses, actor=request.user)
    except ValidationError as exc:
        messages.error(request, "Runbooks used not saved: " + " ".join(exc.messages))
    else:
        messages.success(request, "Runbooks used saved.")
    return redirect(anchor)


def open_action_items(user):
    """Open action items of the post-mortems of `user`'s providers that `user` may read, each
    annotated `mine` (0 for the user's own, 1 for the others'), owner and provider fetched."""
    visible = Postmortem.objects.visible_to(user).filter(provider__in=list(roles_of(user)))
    items = ActionItem.objects.filter(status=ActionItem.Status.OPEN, postmortem__in=visible)
    mine = Case(When(owner=user, then=Value(0)), default=Value(1), output_field=IntegerField())
    return items.select_related("owner", "postmortem__provider").annotate(mine=mine)


@login_required
def action_item_list(request):
    """Open action items of the post-mortems of the reader's providers; the reader's own first,
    overdue ones marked; filterable by owner and provider."""
    items = open_action_items(request.user)
    owner, provider = request.GET.get("owner", ""), request.GET.get("provider", "")
    if owner:
        items = items.filter(owner__username=owner)
    if provider:
        items = items.filter(postmortem__provider__slug=provider)
    page = Paginator(items.order_by("mine", "due_date", "pk"), 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "filters": {"owner": owner, "provider": provider},
        "providers": Provider.objects.filter(pk__in=list(roles_of(request.user))),
    }
    return render(request, "action_items/list.html", context)


# --- Starting a post-mortem from an alert ----------------------------------------------------

TIMELINE_LIMIT = 50


def start_from(request) -> tuple[dict, dict]:
    """(form initial, links) for a new post-mortem started from `from_alert=<id>` (an alert's
    page, a runbook opened from a received alert) or `from_runbook=<slug>` (a runbook opened
    from an alert link this site never received), in the query or the form."""
    data = request.POST if request.method == "POST" else request.GET
    alert_id, slug = data.get("from_alert", ""), data.get("from_runbook", "")
    if alert_id.isdigit() and len(alert_id) <= 18:
        return from_alert(request, int(alert_id))
    if slug_re.fullmatch(slug) and len(slug) <= 200:  # else the form refuses it
        return from_runbook(request, slug)
    return {}, {}


def from_runbook(request, slug: str) -> tuple[dict, dict]:
    """The runbook pinned at its current revision (not judged yet); the rest is the author's."""
    runbook = get_object_or_404(Runbook.objects.visible_to(request.user), slug=slug)
    pinned = {"runbook": runbook.slug, "revision": runbook.current_revision.number, "verdict": ""}
    return {"from_runbook": runbook.slug}, {"runbooks_used": [pinned]}


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
