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


def test_static_files_are_served_compressed_and_kept_for_a_year(settings, tmp_path, db):
    """What the pages link to is fingerprinted, so browsers may keep it for good; text assets
    go out compressed (whitenoise serves the .gz that collectstatic wrote)."""
    from django.test import Client

    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    settings.WHITENOISE_AUTOREFRESH = False
    call_command("collectstatic", "--noinput", verbosity=0)
    client = Client()  # a new handler: whitenoise reads STATIC_ROOT when it starts
    url = re.search(r"/static/runbooks/app\.[0-9a-f]{12}\.css", client.get("/").content.decode())
    response = client.get(url.group(0), headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert (
        "immutable" in response["Cache-Control"]
        and "max-age=315360000" in response["Cache-Control"]
    )
    plain = client.get("/static/runbooks/app.css")  # the unhashed name: short-lived
    assert "immutable" not in plain.get("Cache-Control", "")
