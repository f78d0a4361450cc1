"""What import_runbooks and export_runbooks share: a folder and an optional owning provider.
(Django does not load modules starting with `_` as commands.)"""

from django.core.management.base import CommandError

from runbooks.management.base import AuditedCommand
from runbooks.models import Provider


class RunbookFolderCommand(AuditedCommand):
    def add_arguments(self, parser):
        parser.add_argument("path", help="the runbooks folder, or a repository root")
        parser.add_argument(
            "--provider", default=None, help="slug of the owning provider; community without"
        )

    @staticmethod
    def owner(slug: str | None) -> Provider | None:
        if slug is None:
            return None
        try:
            return Provider.objects.get(slug=slug)
        except Provider.DoesNotExist:
            raise CommandError(f"Unknown provider {slug!r}.") from None
