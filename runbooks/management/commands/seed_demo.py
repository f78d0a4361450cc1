from runbooks import demo
from runbooks.management.base import AuditedCommand


class Command(AuditedCommand):
    help = "Load the demo providers, users and runbooks (safe to run again)."

    def handle(self, **options):
        demo.seed()
        self.stdout.write("Demo data is in place.")
