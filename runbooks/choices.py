"""Choice sets shared by models, forms, the API and the visibility rules."""

from django.db import models


class Kind(models.TextChoices):
    RUNBOOK = "runbook", "Runbook"
    POSTMORTEM = "postmortem", "Post-mortem"
    REPORT = "report", "Experience report"


class Visibility(models.TextChoices):
    PUBLIC = "public", "Public: anyone"
    COMMUNITY = "community", "Community: signed-in users"
    PROVIDER = "provider", "Provider: members only"


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    PUBLISHED = "published", "Published"
    ARCHIVED = "archived", "Archived"


# Statuses in which a document can be seen outside its provider (DESIGN §3 rule b).
RELEASED_STATUSES = (Status.PUBLISHED, Status.ARCHIVED)
