from collections import Counter
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from runbooks import gitsync
from runbooks.actors import SYSTEM
from runbooks.models import Provider
from runbooks.services import imports
from runbooks.services.base import EditConflict

from ._runbook_folder import RunbookFolderCommand


class Command(RunbookFolderCommand):
    help = (
        "Import runbooks from a folder of <component>/<AlertName>.md files (or a repository "
        "with content/runbooks/), and route each alert name to its runbook. Safe to run again."
    )

    def handle(self, path, provider, **options):
        owner = self.owner(provider)
        if not Path(path).is_dir():
            raise CommandError(f"{path} is not a folder.")
        root = gitsync.runbooks_folder(Path(path))
        found = gitsync.scan(root)
        for item in found.skipped:
            self.stdout.write(f"skipped   {item.relative} ({item.reason})")
        counts = Counter()
        for file in found.runbooks:
            counts.update(self._import(file, owner))
        self._summary(root, counts, len(found.skipped))
        if counts["failed"]:
            raise CommandError(f"{counts['failed']} file(s) could not be imported; see above.")

    def _import(self, file: gitsync.RunbookFile, owner: Provider | None) -> list[str]:
        """Import one file and say so; a file that fails does not stop the others."""
        try:
            result = _import_file(file, owner)
        except (OSError, UnicodeDecodeError, ValidationError, EditConflict) as exc:
            self.stderr.write(f"failed    {file.relative}: {_reason(exc)}")
            return ["failed"]
        route = " (+ route)" if result.route_created else ""
        self.stdout.write(f"{result.outcome:<9} {file.relative} -> {result.document.slug}{route}")
        return [result.outcome] + (["routes"] if result.route_created else [])

    def _summary(self, root: Path, counts: Counter, skipped: int) -> None:
        self.stdout.write(
            f"Imported {root}: {counts['created']} created, {counts['updated']} updated, "
            f"{counts['unchanged']} unchanged, {counts['failed']} failed, {skipped} skipped; "
            f"{counts['routes']} routes created."
        )


def _import_file(file: gitsync.RunbookFile, owner: Provider | None) -> imports.ImportResult:
    parsed = gitsync.read_runbook(file.path)
    return imports.import_runbook(
        actor=SYSTEM,
        provider=owner,
        component=file.component,
        source_name=file.alertname,
        title=parsed.title,
        body=parsed.body,
        front_matter=parsed.front_matter,
        slug=gitsync.import_slug(file.alertname, file.component, owner.slug if owner else ""),
        message=f"Imported from {file.relative}",
    )


def _reason(exc: Exception) -> str:
    return " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
