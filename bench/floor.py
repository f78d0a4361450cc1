"""The floor: a bare Django project whose one view returns the bytes of the anonymous runbook
page, with no middleware, no database and no templates. Whatever a real page costs above this
is the application's; this is what Django and gunicorn cost on this machine.

Run with DJANGO_SETTINGS_MODULE=bench.floor and OPENOPS_FLOOR_PAGE=<file with the bytes>.
"""

import os
from pathlib import Path

from django.http import HttpResponse
from django.urls import path

SECRET_KEY = "bench-floor-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = __name__
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
DATABASES: dict = {}
USE_TZ = True

PAGE = Path(os.environ["OPENOPS_FLOOR_PAGE"]).read_bytes()


def page(request):
    return HttpResponse(PAGE, content_type="text/html; charset=utf-8")


urlpatterns = [path("page/", page)]
