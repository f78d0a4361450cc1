from pathlib import Path

from django.core.management.base import CommandError

from runbooks import gitsync
from runbooks.models import Provider, Runbook

from ._runbook_folder import RunbookFolderCommand


class Command(RunbookFolderCommand):
    help = (
        "Write a provider's runbooks (community runbooks without --provider) as "
        "<component>/<AlertName>.md files: front matter as imported, then the current text."
    )

    def handle(self, path, provider, **options):
        owner = self.owner(provider)
        target = Path(path)
        if target.exists() and not target.is_dir():
            raise CommandError(f"{path} is not a folder.")
        root = gitsync.runbooks_folder(target)
        written = unchanged = 0
        for runbook, relative in gitsync.plan_export(_runbooks_of(owner)):
            if relative is None:
                self.stderr.write(f"not written: {runbook.slug} (its file name is taken)")
            elif self._write(root, runbook, relative):
                written += 1
            else:
                unchanged += 1
        self.stdout.write(f"Exported to {root}: {written} written, {unchanged} unchanged.")

    def _write(self, root: Path, runbook: Runbook, relative) -> bool:
        body = runbook.current_revision.body if runbook.current_revision else ""
        text = gitsync.file_text(runbook.front_matter, body, runbook.placeholder_labels)
        changed = gitsync.write_file(root, relative, text)
        self.stdout.write(f"{'written' if changed else 'unchanged':<9} {relative}")
        return changed


def _runbooks_of(owner: Provider | None) -> list[Runbook]:
    """The owner's runbooks, imported ones first so that their files keep their names."""
    runbooks = Runbook.objects.filter(provider=owner)
    runbooks = runbooks.select_related("current_revision")
    return sorted(runbooks, key=lambda d: (not d.source_name, d.component, d.source_name, d.slug))
