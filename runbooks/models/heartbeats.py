"""When background work was last seen to run, for /readyz/ (every process reads the same row)."""

from django.db import models


class Heartbeat(models.Model):
    """The last time a component was seen working; `worker`: a Celery worker finished a task."""

    name = models.CharField(max_length=40, primary_key=True)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.at}"
