from django.conf import settings

from runbooks.demo import DEMO_USERS
from runbooks.management.base import AuditedCommand


class Command(AuditedCommand):
    help = "Print the demo logins that seed_demo creates."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000/")

    def handle(self, url, **options):
        password = settings.OPENOPS_DEMO_PASSWORD
        self.stdout.write(f"\nOpenOps demo logins (password: {password})")
        for username, description in DEMO_USERS:
            self.stdout.write(f"  {username:<6} {description}")
        self.stdout.write(f"Open {url} and sign in.\n")
