"""/account/offline/: a signed-in user asks for an offline copy of what they may read, watches
it being built, and downloads it — they alone, until it expires (issue 21)."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from runbooks import links
from runbooks.forms import OfflineCopyForm
from runbooks.services import offline


@never_cache  # the state moves on while the page is watched
@login_required
def offline_copy(request):
    form = OfflineCopyForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        base_url = links.base_url(request)
        offline.request_copy(request.user, form.cleaned_data["provider"], base_url)
        return redirect("offline-copy")
    copy = offline.copy_of(request.user)
    context = {
        "copy": copy,
        "form": form,
        "building": copy is not None and copy.state in (copy.State.QUEUED, copy.State.BUILDING),
        "hours": settings.OPENOPS_OFFLINE_COPY_HOURS,
    }
    return render(request, "account/offline.html", context, status=400 if form.errors else 200)


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
