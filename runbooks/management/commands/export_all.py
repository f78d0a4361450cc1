from django.core.management.base import CommandError

from runbooks import backup
from runbooks.management.base import AuditedCommand


class Command(AuditedCommand):
    help = (
        "Write the whole site (documents with every revision, comments, tags, routes, action "
        "items, reports, alerts, providers, members, users without passwords) to DIR, a new or "
        "empty directory, in the versioned format `import_all` reads."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory")

    def handle(self, directory, **options):
        try:
            counts = backup.export_all(directory, progress=self._progress)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"exported {sum(counts.values())} rows to {directory}")

    def _progress(self, label: str, rows: int) -> None:
        self.stdout.write(f"  {label:<28} {rows:>8}")
