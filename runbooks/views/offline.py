"""/account/offline/: a signed-in user asks for an offline copy of what they may read, watches
it being built, and downloads it — they alone, until it expires (issue 21)."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from runbooks.models import Provider, roles_of
from runbooks.services import offline


@never_cache  # the state moves on while the page is watched
@login_required
def offline_copy(request):
    if request.method == "POST":
        provider = _provider(request)
        base_url = settings.BASE_URL or request.build_absolute_uri("/").rstrip("/")
        offline.request_copy(request.user, provider, base_url)
        return redirect("offline-copy")
    copy = offline.copy_of(request.user)
    context = {
        "copy": copy,
        "providers": Provider.objects.filter(pk__in=roles_of(request.user)).order_by("name"),
        "building": copy is not None and copy.state in (copy.State.QUEUED, copy.State.BUILDING),
        "hours": settings.OPENOPS_OFFLINE_COPY_HOURS,
    }
    return render(request, "account/offline.html", context)


def _provider(request):
    """The provider the copy is limited to: one of the user's own, or none (all they see)."""
    slug = request.POST.get("provider", "")
    if not slug:
        return None
    provider = Provider.objects.filter(slug=slug[:50], pk__in=roles_of(request.user)).first()
    if provider is None:
        raise Http404("You are not a member of that provider.")
    return provider


@never_cache
@login_required
def offline_download(request, key):
    found = offline.download(request.user, key)
    if found is None:
        raise Http404("This offline copy is not yours, was replaced, or has expired.")
    name, archive = found
    response = HttpResponse(archive, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response
