from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from runbooks.management.base import AuditedCommand
from runbooks.models import Provider
from runbooks.offline.bundle import NotACopy
from runbooks.offline.contents import NotAMember
from runbooks.services import offline


class Command(AuditedCommand):
    help = (
        "Write an offline copy of everything USERNAME may read (published runbooks, post-mortems "
        "and reports, tags, alert look-up) to PATH, a static site that opens from file:// with "
        "no server. Exporting again to the same folder rewrites only what changed."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--user", required=True, help="whose copy: what they may read")
        parser.add_argument("--provider", help="only this provider's and community documents")
        parser.add_argument(
            "--base-url",
            default=settings.BASE_URL,
            help="the site's address, for the 'open online' links (default OPENOPS_BASE_URL)",
        )

    def handle(self, path, user, provider, base_url, **options):
        found_user = get_user_model().objects.filter(username=user, is_active=True).first()
        if found_user is None:
            raise CommandError(f"There is no active user {user!r}.")
        scope = None
        if provider:
            scope = Provider.objects.filter(slug__iexact=provider).first()
            if scope is None:
                raise CommandError(f"There is no provider {provider!r}.")
        self.shown = -1
        try:
            written = offline.export_site(
                Path(path), found_user, scope, base_url.rstrip("/"), self._progress
            )
        except (NotAMember, NotACopy) as exc:
            raise CommandError(str(exc)) from None
        changed = written.files - written.unchanged
        self.stdout.write(
            f"wrote {written.documents} documents to {path}: {written.files} files, "
            f"{changed} new or changed, {written.unchanged} unchanged"
        )

    def _progress(self, done: int, total: int) -> None:
        tenth = 10 * done // total
        if tenth != self.shown:
            self.shown = tenth
            self.stdout.write(f"  {done:>6}/{total} pages")
