"""The Celery application. Settings come from Django's, prefixed CELERY_."""

import os

from celery import Celery
from kombu import transport

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openops.settings")

# `filesystem://` (make run's broker) is kombu's transport with atomic writes (openops.broker).
transport.TRANSPORT_ALIASES["filesystem"] = "openops.broker:Transport"

app = Celery("openops")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
