"""An MTA alias pipe for the OpenStack Health Monitor's alarm mails: an /etc/aliases line
such as `openops-alarms: "|<venv>/bin/python <openops>/manage.py receive_alarm_mail --provider
cloudx"` (the README, "Alarm mails", has the whole example).

Exit codes follow sysexits.h, so that the MTA does the right thing with the mail: 0 stored;
65 (EX_DATAERR) not an alarm mail, or too large: the MTA bounces it; 75 (EX_TEMPFAIL) the
database cannot be reached, or the alias names no provider: the MTA keeps the mail and tries
again (for days), so no alarm is lost while the database or the alias is put right. (Postfix
bounces every other code, EX_CONFIG included.)
"""

import sys

from django.conf import settings
from django.core.management.base import CommandError
from django.db import DatabaseError, InterfaceError, OperationalError, transaction
from django.utils import timezone

from runbooks import payloads, tasks
from runbooks.management.base import AuditedCommand
from runbooks.models import AlertSource, Provider
from runbooks.services import intake

EX_DATAERR, EX_TEMPFAIL = 65, 75


class Command(AuditedCommand):
    help = (
        "Store one alarm mail of the OpenStack Health Monitor, read as an RFC 822 message on "
        "standard input, in the provider's alert inbox (for an MTA alias pipe)."
    )
    requires_system_checks = []  # an MTA waits on this: only what storing the mail needs

    def add_arguments(self, parser):
        parser.add_argument("--provider", required=True, help="slug of the receiving provider")

    def handle(self, provider, **options):
        limit = settings.OPENOPS_WEBHOOK_MAX_BYTES
        body = sys.stdin.buffer.read(limit + 1)
        if len(body) > limit:
            raise CommandError(
                f"The mail is larger than {limit} bytes; not stored.", returncode=EX_DATAERR
            )
        source = AlertSource.HEALTHMONITOR
        try:
            parsed = payloads.parse(body, source, timezone.now())
        except payloads.PayloadError as exc:
            raise CommandError(f"{exc} Not stored.", returncode=EX_DATAERR) from None
        try:
            with transaction.atomic():
                receiver = Provider.objects.filter(slug=provider).first()
                if receiver is None:
                    raise CommandError(
                        f"No provider {provider!r} (see `create_provider`): fix the alias; the "
                        "mail system will try again.",
                        returncode=EX_TEMPFAIL,
                    )
                entry = intake.accept_piped(receiver, source, body, parsed)
                tasks.process_on_commit(entry.pk)
        except (OperationalError, InterfaceError) as exc:
            raise CommandError(
                f"The database cannot be reached ({exc}); the mail system will try again.",
                returncode=EX_TEMPFAIL,
            ) from None
        except DatabaseError as exc:
            raise CommandError(
                f"The database refused the mail: {exc}", returncode=EX_TEMPFAIL
            ) from None
        self.stdout.write(
            f"Stored alarm mail {entry.pk} for {receiver.slug}: "
            f"{entry.alert_count} alert{'s' * (entry.alert_count != 1)}."
        )
