from django.core.management.base import BaseCommand

from runbooks import demo


class Command(BaseCommand):
    help = "Load the demo providers, users and runbooks (safe to run again)."

    def handle(self, **options):
        demo.seed()
        self.stdout.write("Demo data is in place.")
