"""Absolute addresses of the site (DESIGN §8): OPENOPS_BASE_URL when set, else the address the
request came to, else (no request: seeding, tasks) the local default of `make run`."""

from django.conf import settings

LOCAL_DEFAULT = "http://127.0.0.1:8000"


def base_url(request=None) -> str:
    if settings.BASE_URL:
        return settings.BASE_URL
    if request is not None:
        return request.build_absolute_uri("/").rstrip("/")
    return LOCAL_DEFAULT


def absolute(path: str, request=None) -> str:
    return base_url(request) + path
