"""What every OpenOps command is built on: what it writes goes to the audit log as the
command's doing (`runbooks.audit.as_command`), e.g. "command create_provider"."""

from django.core.management.base import BaseCommand

from runbooks import audit


class AuditedCommand(BaseCommand):
    def execute(self, *args, **options):
        with audit.as_command(self.__module__.rsplit(".", 1)[-1]):
            return super().execute(*args, **options)
