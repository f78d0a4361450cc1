"""Experience reports: drafts until published, like post-mortems."""

from runbooks.choices import Kind, Status, Visibility
from runbooks.models import Document

from .base import KindSpec

REPORT = KindSpec(
    kind=Kind.REPORT,
    label="Experience report",
    model=Document,
    url_prefix="reports",
    default_status=Status.DRAFT,
    default_visibility=Visibility.COMMUNITY,
)
