from django.apps import AppConfig
from django.conf import settings


class RunbooksConfig(AppConfig):
    name = "runbooks"
    verbose_name = "OpenOps"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from runbooks import audit, tasks  # noqa: F401  connect their signals
        from runbooks.api import schema  # noqa: F401  registers the OpenAPI auth extension

        if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
            from runbooks.search.sqlite import require_fts5

            require_fts5()  # search needs FTS5: fail at start-up, not at the first search
