"""`make run`: the app as a small production serves it, on one machine with no services.

gunicorn serves pages, API and static files (whitenoise); one Celery worker with beat runs
beside it, on the broker the environment names (kombu's filesystem transport under var/ for
`make run`), so webhooks are processed and the sweep runs. With DEBUG=true, Django's
development server (with reloading) serves instead.
"""

import signal
import subprocess
import sys

from django.conf import settings

from runbooks.management.base import AuditedCommand


class Command(AuditedCommand):
    help = "Serve OpenOps: gunicorn plus a Celery worker with beat (runserver when DEBUG=true)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")

    def handle(self, host, port, **options):
        address = f"{host}:{port}"
        if settings.DEBUG:
            self.stdout.write(f"DEBUG=true: the development server on http://{address}/")
            command = [sys.executable, "manage.py", "runserver", address]
        else:
            self.stdout.write(f"Serving http://{address}/ (gunicorn; Ctrl-C stops it)")
            command = [sys.executable, "-m", "gunicorn", "openops.wsgi", "--workers", "2"]
            command += ["--bind", address]
        worker = self._worker()
        server = subprocess.Popen(command)
        try:
            server.wait()
        except KeyboardInterrupt:
            server.send_signal(signal.SIGTERM)
            server.wait()
        finally:
            if worker is not None:
                worker.send_signal(signal.SIGTERM)
                worker.wait(timeout=30)

    def _worker(self):
        if not settings.CELERY_BROKER_URL:
            return None  # tasks run inline
        command = [sys.executable, "-m", "celery", "--quiet", "-A", "openops", "worker", "-B"]
        command += ["--loglevel", "warning", "--concurrency", "1"]
        return subprocess.Popen(command)
