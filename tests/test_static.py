"""Production static files: whitenoise's manifest storage after collectstatic (DESIGN §2)."""

import re

from django.core.management import call_command


def test_pages_render_with_the_production_static_storage(settings, tmp_path, client, db):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", "--noinput", verbosity=0)
    page = client.get("/").content.decode()
    assert re.search(r"/static/runbooks/app\.[0-9a-f]{12}\.css", page)
    assert re.search(r"/static/runbooks/app\.[0-9a-f]{12}\.js", page)
    docs = client.get("/api/docs/").content.decode()
    assert re.search(r"swagger-ui-bundle\.[0-9a-f]{12}\.js", docs)
