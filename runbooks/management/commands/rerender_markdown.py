from runbooks.management.base import AuditedCommand
from runbooks.services import documents


class Command(AuditedCommand):
    help = "Render every revision's Markdown again (after the allow-list or renderer changed)."

    def handle(self, **options):
        changed, total = documents.rerender_all(progress=self.stdout.write)
        self.stdout.write(f"Rendered {total} revisions; {changed} changed.")
