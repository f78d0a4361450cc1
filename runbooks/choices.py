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

# Where each kind lives in the pages: /runbooks/, /postmortems/, /reports/.
KIND_URL_PREFIX = {
    Kind.RUNBOOK: "runbooks",
    Kind.POSTMORTEM: "postmortems",
    Kind.REPORT: "reports",
}

# DESIGN §3: runbooks start published and public; post-mortems and reports start as drafts
# that will become community-visible when published.
KIND_DEFAULTS = {
    Kind.RUNBOOK: (Status.PUBLISHED, Visibility.PUBLIC),
    Kind.POSTMORTEM: (Status.DRAFT, Visibility.COMMUNITY),
    Kind.REPORT: (Status.DRAFT, Visibility.COMMUNITY),
}
