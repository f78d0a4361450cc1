from django.core.management.base import CommandError

from runbooks import backup
from runbooks.management.base import AuditedCommand


class Command(AuditedCommand):
    help = (
        "Load an `export_all` directory into this database: all of it or nothing. Refuses a "
        "database that already holds data unless --merge (which refuses colliding ids)."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory")
        parser.add_argument(
            "--merge",
            action="store_true",
            help="import into a database that already has data (no id may collide)",
        )

    def handle(self, directory, merge=False, **options):
        try:
            counts = backup.import_all(directory, merge=merge, progress=self._progress)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"imported {sum(counts.values())} rows from {directory}")

    def _progress(self, label: str, rows: int) -> None:
        self.stdout.write(f"  {label:<28} {rows:>8}")
