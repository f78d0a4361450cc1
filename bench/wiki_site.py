"""django-wiki (PyPI `wiki`) serving the same Markdown, for the side-by-side benchmark: its
documented minimal project (these settings, `bench.wiki_urls`), SQLite, DEBUG off. It runs in a
virtual environment of its own that `bench/http.py` makes (var/bench/wiki-venv).

`python -m bench.wiki_site seed FILE` creates the database and a root article with FILE's text.
"""

import os
import sys
from pathlib import Path

FOLDER = Path(os.environ.get("OPENOPS_WIKI_FOLDER", "var/bench/wiki"))
SECRET_KEY = "bench-wiki-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "bench.wiki_urls"
SITE_ID = 1
USE_TZ = True
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": FOLDER / "wiki.db"}}
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "django_nyt",
    "mptt",
    "sekizai",
    "sorl.thumbnail",
    "wiki",
    "wiki.plugins.attachments",
    "wiki.plugins.notifications",
    "wiki.plugins.images",
    "wiki.plugins.macros",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.contrib.auth.context_processors.auth",
                "django.template.context_processors.debug",
                "django.template.context_processors.i18n",
                "django.template.context_processors.request",
                "django.template.context_processors.tz",
                "django.contrib.messages.context_processors.messages",
                "sekizai.context_processors.sekizai",
            ]
        },
    }
]
STATIC_URL = "/static/"
MEDIA_ROOT = FOLDER / "media"
WIKI_ANONYMOUS = True


def _seed(text_file: str) -> None:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from wiki.models import URLPath

    if not URLPath.objects.exists():
        URLPath.create_root(title="Runbook", content=Path(text_file).read_text())


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.wiki_site")
    FOLDER.mkdir(parents=True, exist_ok=True)
    if sys.argv[1:2] == ["seed"]:
        _seed(sys.argv[2])
