"""/account/tokens/: a signed-in user lists, creates and revokes their API tokens."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from runbooks.forms import TokenForm
from runbooks.models import Token
from runbooks.services import tokens as token_services


@never_cache  # the answer to a POST holds a secret: no browser or proxy keeps a copy
@login_required
def token_list(request):
    """The user's own tokens; a POST issues a new one and shows its secret this once."""
    form = TokenForm(request.POST or None, user=request.user)
    issued = None
    if request.method == "POST" and form.is_valid():
        try:
            issued = token_services.issue_token(
                actor=request.user,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                user=request.user,
                provider=form.cleaned_data["provider"],
            )
        except ValidationError as exc:
            _attach_errors(form, exc)
        else:
            form = TokenForm(user=request.user)
    context = {
        "form": form,
        "tokens": request.user.api_tokens.select_related("provider"),
        "new_token": issued[0] if issued else None,
        # Rendered into this one response and nowhere else: not stored, not in a URL.
        "secret": issued[1] if issued else None,
    }
    return render(request, "account/tokens.html", context)


def _attach_errors(form, exc: ValidationError) -> None:
    for field, errors in getattr(exc, "error_dict", {None: exc.error_list}).items():
        form.add_error(field if field in form.fields else None, errors)


@login_required
@require_POST
def token_revoke(request, pk):
    """Revoke one of the user's own tokens; anyone else's answers 404 like a missing one."""
    token = get_object_or_404(Token, pk=pk, user=request.user)
    if token.is_active:
        token_services.revoke_token(token, actor=request.user)
        messages.success(request, f"Revoked “{token.name}”. It no longer works.")
    else:
        messages.info(request, f"“{token.name}” was already revoked.")
    return redirect("token-list")
