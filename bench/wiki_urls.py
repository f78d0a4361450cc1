"""django-wiki's URLs for the side-by-side benchmark (settings: bench.wiki_site)."""

from django.urls import include, path

urlpatterns = [
    path("notifications/", include("django_nyt.urls")),
    path("", include("wiki.urls")),
]
