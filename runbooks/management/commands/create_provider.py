from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from runbooks.actors import SYSTEM
from runbooks.management.base import AuditedCommand
from runbooks.services import people


class Command(AuditedCommand):
    help = "Create a provider (or update its name, website and status page)."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--website", default="")
        parser.add_argument(
            "--status-page", default=None, help="the provider's status page (alert pages link it)"
        )

    def handle(self, slug, name, website, status_page, **options):
        try:
            provider, created = people.create_provider(
                slug, name, website, actor=SYSTEM, status_page_url=status_page
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        verb = "Created" if created else "Updated"
        self.stdout.write(f"{verb} provider {provider.slug} ({provider.name}).")
