"""Post-mortems: drafts private to their provider until published (their own fields come with
the post-mortem issue, in their own table)."""

from runbooks.choices import Kind, Status, Visibility
from runbooks.models import Document

from .base import KindSpec

POSTMORTEM = KindSpec(
    kind=Kind.POSTMORTEM,
    label="Post-mortem",
    model=Document,
    url_prefix="postmortems",
    default_status=Status.DRAFT,
    default_visibility=Visibility.COMMUNITY,
)
