from django.apps import AppConfig


class RunbooksConfig(AppConfig):
    name = "runbooks"
    verbose_name = "OpenOps"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from runbooks.api import schema  # noqa: F401  registers the OpenAPI auth extension
