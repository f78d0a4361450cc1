"""Experience reports: "we ran this runbook on this environment, and it worked / partly / failed"
(multi-table, like runbooks and post-mortems)."""

from django.db import models

from runbooks.inputs import CleanJSONDecoder

from .documents import Document, DocumentQuerySet


class Outcome(models.TextChoices):
    WORKED = "worked", "worked"
    PARTLY = "partly", "partly"
    FAILED = "failed", "failed"


class Report(Document):
    """An operator's experience with a runbook at one revision, in one environment (key/value
    pairs such as `scs_release: R7`, `ceph: 18.2`). The story is the Markdown of its revisions."""

    environment = models.JSONField(default=dict, blank=True, decoder=CleanJSONDecoder)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    # The runbook it concerns (`runbook` in the API; on a Document that name is the accessor of
    # its runbook row). Kept when the runbook goes: the report still tells its story.
    subject = models.ForeignKey(
        "Runbook", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    subject_revision = models.ForeignKey(
        "Revision", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = DocumentQuerySet.as_manager()

    @property
    def environment_items(self) -> list[tuple[str, str]]:
        return sorted(self.environment.items())
