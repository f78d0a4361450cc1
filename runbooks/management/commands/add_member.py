from django.core.management.base import CommandError
from django.db import transaction

from runbooks.actors import SYSTEM
from runbooks.management.base import AuditedCommand
from runbooks.models import Provider, Role
from runbooks.services import people


class Command(AuditedCommand):
    help = "Give a user a role at a provider, creating the user if needed."

    def add_arguments(self, parser):
        parser.add_argument("provider")
        parser.add_argument("username")
        parser.add_argument("--role", required=True, help="reader, editor or admin")
        parser.add_argument("--password", default=None)

    def handle(self, provider, username, role, password, **options):
        if role not in Role.values:
            raise CommandError(f"Unknown role {role!r}: use one of {', '.join(Role.values)}.")
        try:
            target = Provider.objects.get(slug=provider)
        except Provider.DoesNotExist:
            raise CommandError(f"Unknown provider {provider!r}.") from None
        with transaction.atomic():
            user = people.ensure_user(username, password, actor=SYSTEM)
            _, created = people.set_membership(target, user, role, actor=SYSTEM)
        verb = "Added" if created else "Updated"
        self.stdout.write(f"{verb} {username} as {role} of {target.slug}.")
