"""Backups and moves (`export_all` / `import_all`): a round trip into an empty database gives
back everything, byte for byte on a second export; bad input changes nothing. CI runs this on
SQLite and on PostgreSQL."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.core.management.base import CommandError

from runbooks import backup
from runbooks.actors import SYSTEM
from runbooks.choices import Kind
from runbooks.models import ChatTarget, Document, Notification, Revision, Scope, Token
from runbooks.services import documents, tokens

ROOT = Path(__file__).resolve().parent.parent


def _files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def _empty_the_database():
    call_command("flush", interactive=False, verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_the_demo_goes_round_and_comes_back_identical(tmp_path):
    call_command("seed_demo", verbosity=0)
    runbook = Document.objects.visible_to(AnonymousUser()).filter(kind=Kind.RUNBOOK).last()
    before = {
        "slugs": sorted(Document.objects.values_list("kind", "slug")),
        "revisions": sorted(
            Revision.objects.values_list(
                "document__slug", "number", "author__username", "created_at"
            )
        ),
        "notifications": Notification.objects.count(),
    }
    call_command("export_all", str(tmp_path / "first"), verbosity=0)
    _empty_the_database()
    assert not Document.objects.exists()
    call_command("import_all", str(tmp_path / "first"), verbosity=0)
    after = {
        "slugs": sorted(Document.objects.values_list("kind", "slug")),
        "revisions": sorted(
            Revision.objects.values_list(
                "document__slug", "number", "author__username", "created_at"
            )
        ),
        "notifications": Notification.objects.count(),  # events loaded, not fanned out again
    }
    assert after == before
    call_command("export_all", str(tmp_path / "second"), verbosity=0)
    assert _files(tmp_path / "first") == _files(tmp_path / "second")
    # the site works on the imported data: pages, search, and new rows get fresh ids
    from django.test import Client

    page = Client().get(runbook.get_absolute_url())
    assert page.status_code == 200 and runbook.title in page.content.decode()
    new = documents.create_document(
        kind=Kind.RUNBOOK, title="After the move", body="x", actor=SYSTEM
    )
    assert new.pk > runbook.pk


def test_no_secret_leaves_the_site(tmp_path, alice, provider_a):
    secret = tokens.issue_token(actor=SYSTEM, name="grafana", scopes=[Scope.READ], user=alice)[1]
    ChatTarget.objects.create(
        provider=provider_a,
        kind="matrix",
        name="ops room",
        url="https://matrix.example",
        room_id="!room:example",
        access_token="syt_very_secret_token",
    )
    backup.export_all(tmp_path / "out")
    everything = b"".join(_files(tmp_path / "out").values()).decode()
    assert secret not in everything and Token.objects.get().digest not in everything
    assert "syt_very_secret_token" not in everything
    assert alice.password not in everything and '"password"' not in everything
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert (manifest["format"], manifest["version"]) == ("openops-export", 1)
    assert "runbooks.token" in manifest["left_out"]


def test_export_makes_a_missing_directory_and_refuses_one_in_use(tmp_path, alice):
    backup.export_all(tmp_path / "a" / "b")
    assert (tmp_path / "a" / "b" / "manifest.json").is_file()
    with pytest.raises(CommandError, match="not an empty directory"):
        call_command("export_all", str(tmp_path / "a" / "b"))


@pytest.fixture
def exported(tmp_path, alice, make_runbook):
    make_runbook(alice, title="Ceph OSD down")
    backup.export_all(tmp_path / "export")
    return tmp_path / "export"


def test_import_refuses_a_database_with_data_and_a_colliding_merge(exported):
    with pytest.raises(CommandError, match="not empty"):
        call_command("import_all", str(exported))
    with pytest.raises(CommandError, match="ids .* already exist"):
        call_command("import_all", str(exported), "--merge")
    assert Document.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_broken_export_imports_nothing_at_all(exported):
    rows = json.loads((exported / "runbooks.revision.json").read_text())
    rows[0]["fields"]["document"] = 999_999  # a revision of a document that is not there
    (exported / "runbooks.revision.json").write_text(json.dumps(rows))
    _empty_the_database()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_all", str(exported))
    assert not Document.objects.exists() and not Revision.objects.exists()


@pytest.mark.parametrize(
    "manifest, message",
    [
        ({"format": "openops-export", "version": 2, "files": []}, "version 2"),
        ({"format": "something-else", "version": 1}, "does not hold an OpenOps export"),
        (
            {
                "format": "openops-export",
                "version": 1,
                "files": [{"model": "auth.group", "file": "x"}],
            },
            "not exported by OpenOps",
        ),
        (
            {
                "format": "openops-export",
                "version": 1,
                "files": [{"model": "auth.user", "file": "../../etc/passwd"}],
            },
            "is missing",
        ),
        ("[1, 2", "cannot be read"),
    ],
    ids=["newer-version", "not-ours", "unknown-model", "path-outside", "not-json"],
)
def test_a_bad_manifest_is_refused_with_a_clear_message(tmp_path, db, manifest, message):
    text = manifest if isinstance(manifest, str) else json.dumps(manifest)
    (tmp_path / "manifest.json").write_text(text)
    with pytest.raises(CommandError, match=message):
        call_command("import_all", str(tmp_path))


def test_the_commands_report_progress_on_the_terminal(tmp_path, alice):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL"}}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    run = lambda *args: subprocess.run(  # noqa: E731
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert run("migrate", "-v0").returncode == 0
    done = run("export_all", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert "runbooks.document" in done.stdout and "exported" in done.stdout
    refused = run("export_all", str(tmp_path / "out"))
    assert refused.returncode == 1 and "not an empty directory" in refused.stderr


def test_every_model_is_exported_or_left_out_on_purpose():
    """A new model must be added to backup.MODELS (or LEFT_OUT, with why), or a move loses it."""
    from django.apps import apps

    ours = {m._meta.label_lower for m in apps.get_app_config("runbooks").get_models()}
    auto_through = {
        m._meta.label_lower
        for m in apps.get_app_config("runbooks").get_models(include_auto_created=True)
        if m._meta.auto_created
    }
    assert ours - auto_through <= set(backup.MODELS) | set(backup.LEFT_OUT)
