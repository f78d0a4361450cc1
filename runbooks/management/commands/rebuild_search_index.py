"""`manage.py rebuild_search_index`: every document's search entry again, with a progress bar
(after an upgrade, or after loading data in bulk). Writes go on as usual meanwhile: each entry
is rewritten whole."""

import sys

from runbooks.management.base import AuditedCommand
from runbooks.search import entries

WIDTH = 30


class Command(AuditedCommand):
    help = "Rebuild the search index of every document."

    def handle(self, *args, **options):
        interactive = sys.stdout.isatty()

        def progress(done: int, total: int) -> None:
            filled = WIDTH * done // max(total, 1)
            bar = f"[{'#' * filled}{'.' * (WIDTH - filled)}] {done}/{total}"
            self.stdout.write(f"\r{bar}" if interactive else bar, ending="")
            if not interactive:
                self.stdout.write("")

        total = entries.rebuild(progress)
        if interactive:
            self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Indexed {total} documents."))
