from django.apps import AppConfig


class RunbooksConfig(AppConfig):
    name = "runbooks"
    verbose_name = "OpenOps"
    default_auto_field = "django.db.models.BigAutoField"
