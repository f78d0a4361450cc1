"""/providers/<slug>/chat/: a provider's admins choose the Matrix rooms and webhooks that get
its events (the access token is taken, never shown again)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render

from runbooks.models import ChatTarget, Provider
from runbooks.services import chat


class ChatTargetForm(forms.Form):
    kind = forms.ChoiceField(choices=ChatTarget.Kind.choices, widget=forms.RadioSelect)
    name = forms.CharField(max_length=100, help_text="e.g. “#nordwolke-ops”.")
    url = forms.CharField(
        max_length=500,
        label="Address",
        help_text="The homeserver (https://matrix.example.org) or the webhook URL.",
    )
    room_id = forms.CharField(
        max_length=255, required=False, label="Room id", help_text="Matrix: !abc123:example.org"
    )
    access_token = forms.CharField(
        max_length=500,
        required=False,
        widget=forms.PasswordInput,
        help_text="Matrix: the bot account's token.",
    )
    events = forms.MultipleChoiceField(
        choices=ChatTarget.EVENT_CHOICES, widget=forms.CheckboxSelectMultiple, label="Send"
    )


def _provider_for_admin(request, slug) -> Provider:
    """The provider, if the user administers it (the service's rule: 403 otherwise)."""
    provider = get_object_or_404(Provider, slug=slug)
    chat.require_admin(provider, actor=request.user)
    return provider


@login_required
def chat_targets(request, slug):
    provider = _provider_for_admin(request, slug)
    form = ChatTargetForm(request.POST or None, auto_id="id_chat_%s")
    if request.method == "POST" and "remove" in request.POST:
        wanted = request.POST["remove"]
        target = get_object_or_404(
            provider.chat_targets, pk=int(wanted) if wanted.isdigit() and len(wanted) <= 18 else 0
        )
        chat.remove_target(target, actor=request.user)
        messages.success(request, f"“{target.name}” gets nothing more.")
        return redirect("provider-chat", slug=slug)
    if request.method == "POST" and form.is_valid():
        try:
            chat.add_target(provider, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.error_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, "Added: the next event of that kind goes there.")
            return redirect("provider-chat", slug=slug)
    targets = provider.chat_targets.order_by("name")
    context = {"provider": provider, "form": form, "targets": targets}
    return render(request, "providers/chat.html", context)
