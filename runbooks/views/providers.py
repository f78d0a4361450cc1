"""A provider's public face: who they are and what of theirs the visitor may see."""

from django.shortcuts import get_object_or_404, render

from runbooks.models import Document, Provider, roles_of


def provider_detail(request, slug):
    provider = get_object_or_404(Provider, slug=slug)
    documents = Document.objects.visible_to(request.user).filter(provider=provider).for_listing()
    context = {
        "provider": provider,
        "documents": documents[:50],
        "my_role": roles_of(request.user).get(provider.pk),
    }
    return render(request, "providers/detail.html", context)
