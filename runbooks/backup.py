"""Backups and moves: the whole site as a directory of JSON files, and back (README, "Backups
and moves"; `manage.py export_all DIR` / `import_all DIR`).

Format "openops-export", version 1: `manifest.json` lists one file per model, in the order they
are loaded; each file is a JSON list of Django's serialised rows (`model`, `pk`, `fields`),
sorted by primary key, many-to-many lists sorted, times with their microseconds. Ids, slugs,
revision numbers, authors and times are kept as they are, so links keep working after a move.
The same data always gives the same bytes.

Left out, on purpose: secrets (API tokens, chat targets with their access tokens, password
hashes: imported users sign in after a password reset or through their identity provider),
sessions, rate counters, and the search index (rebuilt on import).
"""

import json
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from uuid import UUID

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core import serializers
from django.core.exceptions import ValidationError
from django.core.management.color import no_style
from django.core.serializers.base import DeserializationError
from django.db import DatabaseError, connection, transaction

FORMAT, VERSION = "openops-export", 1
MANIFEST = "manifest.json"
# Parents before children; a kind's own table after the shared document table.
MODELS = [
    "auth.user",
    "runbooks.provider",
    "runbooks.membership",
    "runbooks.tag",
    "runbooks.document",
    "runbooks.revision",
    "runbooks.runbook",
    "runbooks.postmortem",
    "runbooks.report",
    "runbooks.comment",
    "runbooks.alertroute",
    "runbooks.routechange",
    "runbooks.runbookmiss",
    "runbooks.inboxentry",
    "runbooks.alert",
    "runbooks.alertevent",
    "runbooks.actionitem",
    "runbooks.runbookuse",
    "runbooks.event",
    "runbooks.subscription",
    "runbooks.notification",
    "runbooks.mailpreference",
    "runbooks.auditentry",
]
LEFT_OUT = {
    "runbooks.token": "API tokens are secrets: issue new ones after a move",
    "runbooks.chattarget": "chat targets hold access tokens: add them again",
    "runbooks.chatdelivery": "deliveries to those chat targets",
    "runbooks.ratecounter": "rate-limit counters of the current minute",
    "runbooks.searchentry": "the search index, rebuilt on import",
    "runbooks.offlinecopy": "offline copies: each user makes a new one",
    "runbooks.heartbeat": "the worker's last sign of life: the new site's worker writes its own",
}
USER_FIELDS = [
    "username",
    "first_name",
    "last_name",
    "email",
    "is_staff",
    "is_active",
    "is_superuser",
    "last_login",
    "date_joined",
]


class BackupError(Exception):
    """The directory or the database is not fit for this export or import; nothing changed."""


# --- Export ----------------------------------------------------------------------------------


def export_all(folder: Path, progress=None) -> dict[str, int]:
    """Write every model of MODELS to `folder` (made if missing; refused when not empty)."""
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise BackupError(f"{folder} is not an empty directory: export refuses to mix backups.")
    folder.mkdir(parents=True, exist_ok=True)
    counts = {}
    snapshot = connection.vendor == "postgresql" and not connection.in_atomic_block
    with transaction.atomic():  # one consistent snapshot: REPEATABLE READ on PostgreSQL
        if snapshot:  # (inside a caller's transaction, its isolation applies)
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        for label in MODELS:
            rows = _rows(label)
            (folder / f"{label}.json").write_text(_dumps(rows) + "\n", encoding="utf-8")
            counts[label] = len(rows)
            if progress:
                progress(label, len(rows))
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "files": [
            {"model": label, "file": f"{label}.json", "rows": counts[label]} for label in MODELS
        ],
        "left_out": LEFT_OUT,
    }
    (folder / MANIFEST).write_text(_dumps(manifest) + "\n", encoding="utf-8")
    return counts


def _rows(label: str) -> list[dict]:
    model = apps.get_model(label)
    queryset = model._base_manager.order_by("pk")
    fields = USER_FIELDS if model is get_user_model() else None
    rows = serializers.serialize("python", queryset, fields=fields)
    for row in rows:
        for name, value in row["fields"].items():
            if isinstance(value, list) and model._meta.get_field(name).many_to_many:
                row["fields"][name] = sorted(value)
        if label == "runbooks.inboxentry":
            row["fields"]["token"] = None  # tokens are not exported
    return rows


class _Encoder(json.JSONEncoder):
    """Times with their microseconds (Django's encoder keeps milliseconds only)."""

    def default(self, o):
        if isinstance(o, datetime | date | time):
            return o.isoformat()
        if isinstance(o, Decimal | UUID):
            return str(o)
        return super().default(o)


def _dumps(data) -> str:
    return json.dumps(data, cls=_Encoder, sort_keys=True, indent=1, ensure_ascii=False)


# --- Import ----------------------------------------------------------------------------------


def import_all(folder: Path, *, merge: bool = False, progress=None) -> dict[str, int]:
    """Load an export into this database, all of it or nothing. Refuses a database that holds
    any of the exported kinds of rows unless `merge`; a merge is refused when any id already
    exists (ids are kept, so they must not collide)."""
    from runbooks.search import entries

    files = _manifest(Path(folder))
    if not merge:
        occupied = [label for label in MODELS if apps.get_model(label)._base_manager.exists()]
        if occupied:
            raise BackupError(
                "The database is not empty (it has "
                + ", ".join(occupied[:5])
                + " rows): import into an empty database, or pass --merge."
            )
    counts = {}
    try:
        with transaction.atomic(), connection.constraint_checks_disabled():
            for label, path in files:
                rows = _loads(path)
                model = apps.get_model(label)
                if merge:
                    _refuse_collisions(model, label, rows)
                for loaded in serializers.deserialize("python", rows):
                    if model is get_user_model():
                        loaded.object.password = make_password(None)
                    loaded.save()
                counts[label] = len(rows)
                if progress:
                    progress(label, len(rows))
            connection.check_constraints(
                table_names=[apps.get_model(label)._meta.db_table for label, _ in files]
            )
            _reset_sequences([apps.get_model(label) for label, _ in files])
            entries.rebuild()
    except (DeserializationError, ValidationError, DatabaseError, KeyError, TypeError) as exc:
        raise BackupError(f"The export could not be loaded, nothing was imported: {exc}") from exc
    return counts


def _manifest(folder: Path) -> list[tuple[str, Path]]:
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{folder / MANIFEST} cannot be read: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{folder} does not hold an OpenOps export ({MANIFEST}).")
    if manifest.get("version") != VERSION:
        raise BackupError(
            f"This export is version {manifest.get('version')!r}; this OpenOps reads version "
            f"{VERSION}."
        )
    files = []
    for entry in manifest.get("files", []):
        label = entry.get("model") if isinstance(entry, dict) else None
        if label not in MODELS:
            raise BackupError(f"{MANIFEST} names {label!r}, which is not exported by OpenOps.")
        path = folder / Path(str(entry.get("file"))).name  # never outside the folder
        if not path.is_file():
            raise BackupError(f"{path} is missing.")
        files.append((label, path))
    if [label for label, _ in files] != [label for label in MODELS if label in dict(files)]:
        raise BackupError(f"{MANIFEST} lists its files out of order.")
    return files


def _loads(path: Path) -> list[dict]:
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{path} cannot be read: {exc}") from None
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise BackupError(f"{path} is not a list of rows.")
    return rows


def _refuse_collisions(model, label: str, rows: list[dict]) -> None:
    pks = [row.get("pk") for row in rows]
    taken = list(model._base_manager.filter(pk__in=pks).values_list("pk", flat=True)[:5])
    if taken:
        raise BackupError(
            f"Cannot merge: {label} ids {taken} already exist here (ids are kept on import)."
        )


def _reset_sequences(models) -> None:
    """New rows after the import get ids above the imported ones (PostgreSQL sequences)."""
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
