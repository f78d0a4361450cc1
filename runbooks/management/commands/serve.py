"""`make run`: the app as a small production serves it, on one machine with no services.

gunicorn serves pages, API and static files (whitenoise); a Celery worker and Celery beat run
beside it, on the broker the environment names (kombu's filesystem transport under var/ for
`make run`), so webhooks are processed and the sweeps and the heartbeat run. With DEBUG=true,
Django's development server (with reloading) serves instead. The worker and beat are restarted
whenever they exit (runbooks.supervisor); SIGTERM or Ctrl-C stops everything.
"""

import sys

from django.conf import settings
from django.core.management.base import CommandError

from runbooks.management.base import AuditedCommand
from runbooks.supervisor import Child, Supervisor

CELERY = [sys.executable, "-m", "celery", "--quiet", "-A", "openops"]


class Command(AuditedCommand):
    help = "Serve OpenOps: gunicorn plus a Celery worker and beat (runserver when DEBUG=true)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")

    def handle(self, host, port, **options):
        address = f"{host}:{port}"
        if settings.DEBUG:
            self.stdout.write(f"DEBUG=true: the development server on http://{address}/")
            web = [sys.executable, "manage.py", "runserver", address]
        else:
            self.stdout.write(f"Serving http://{address}/ (gunicorn; Ctrl-C stops it)")
            web = [sys.executable, "-m", "gunicorn", "openops.wsgi", "--workers", "2"]
            web += ["--bind", address]
        self.stdout.flush()
        children = [Child("web server", web, restart=False), *self._background()]
        code = Supervisor(children).run()
        if code:
            raise CommandError(f"the web server exited with {code}", returncode=code)

    def _background(self) -> list[Child]:
        """The worker and beat; none when no broker is set (tasks run inline)."""
        if not settings.CELERY_BROKER_URL:
            return []
        worker = [*CELERY, "worker", "--loglevel", "warning", "--concurrency", "1"]
        beat = [*CELERY, "beat", "--loglevel", "warning"]
        return [Child("celery worker", worker), Child("celery beat", beat)]
