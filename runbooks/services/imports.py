"""Runbooks from Git (import_runbooks, DESIGN §8): one file becomes or updates one runbook and
routes its alert name to it. The file layout itself is read and written by runbooks.gitsync."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError

from runbooks import gitsync, markdown, pagecache
from runbooks.actors import SYSTEM
from runbooks.choices import Kind
from runbooks.models import AlertRoute, Provider, Runbook

from .base import NotAllowed, changes_pages
from .documents import add_revision, create_document, current_number, unique_slug
from .routes import save_route


@dataclass(frozen=True)
class ImportResult:
    """What importing one file did: `outcome` is "created", "updated" or "unchanged"."""

    document: Runbook
    outcome: str
    route_created: bool


def find_imported_runbook(
    provider: Provider | None, component: str, source_name: str
) -> Runbook | None:
    """The runbook of the file `<component>/<source_name>.md`, imported for `provider`.

    A runbook made in the pages and exported has no source name; its file is named after its
    slug, and importing that file again finds it rather than making a copy.
    """
    runbooks = Runbook.objects.filter(provider=provider, component=component)
    runbooks = runbooks.select_related("current_revision")
    return (
        runbooks.filter(source_name=source_name).first()
        or runbooks.filter(source_name="", slug=source_name).first()
    )


def _check_import_names(component: str, source_name: str) -> None:
    # The model's limits; SQLite would not enforce them, PostgreSQL would fail mid-import.
    if len(component) > 100:
        raise ValidationError({"component": "The folder name is longer than 100 characters."})
    if not source_name or len(source_name) > 200:
        raise ValidationError({"source_name": "The file name needs 1 to 200 characters."})


@changes_pages
def import_runbook(
    *,
    actor,
    provider: Provider | None,
    component: str,
    source_name: str,
    title: str | None,
    body: str,
    front_matter: str,
    slug: str,
    message: str,
) -> ImportResult:
    """Create or update the runbook of one imported file, and route its alert name to it.

    A new runbook gets `slug` (suffixed on collision) and the runbook defaults; an existing one
    gets a revision only when title or body changed. Without a title the file name is used
    for a new runbook and an existing runbook keeps its own. Imports are the system's (the
    `import_runbooks` command); revisions they write have no author.
    """
    if actor is not SYSTEM:
        raise NotAllowed("Runbooks are imported by the import_runbooks command.")
    _check_import_names(component, source_name)
    front_matter = markdown.normalise(front_matter)
    mapping = gitsync.front_matter_placeholders(front_matter)  # checked before any write
    document = find_imported_runbook(provider, component, source_name)
    if document is None:
        document = create_document(
            actor=actor,
            kind=Kind.RUNBOOK,
            title=title or source_name,
            body=body,
            provider=provider,
            slug=unique_slug(Kind.RUNBOOK, slug),
            component=component,
            message=message,
        )
        outcome = "created"
    else:
        revised = add_revision(
            document,
            actor=actor,
            title=title or document.title,
            body=body,
            base_revision=current_number(document),
            message=message,
        )
        outcome = "updated" if revised else "unchanged"
    moved = _set_import_source(
        document, source_name=source_name, front_matter=front_matter, placeholder_labels=mapping
    )
    if moved and outcome == "unchanged":
        outcome = "updated"
    route_created = _ensure_route(document, alertname=source_name, provider=provider)
    return ImportResult(document, outcome, route_created)


def _set_import_source(
    runbook: Runbook, *, source_name: str, front_matter: str, placeholder_labels: dict
) -> bool:
    """Record the file a runbook came from, its front matter (verbatim) and the placeholder
    mapping that front matter gives (the file decides, as it does the text); True if changed."""
    source = (source_name, front_matter, placeholder_labels)
    if (runbook.source_name, runbook.front_matter, runbook.placeholder_labels) == source:
        return False
    runbook.source_name = source_name
    runbook.front_matter = front_matter
    runbook.placeholder_labels = placeholder_labels
    fields = ["source_name", "front_matter", "placeholder_labels", "updated_at"]
    runbook.save(update_fields=fields)
    pagecache.touch([runbook.pk])
    return True


def _ensure_route(runbook: Runbook, *, alertname: str, provider: Provider | None) -> bool:
    """Route `alertname` to the runbook unless the same plain route exists; True if created."""
    routes = AlertRoute.objects.filter(
        alertname_key=alertname.strip().casefold(), provider=provider, runbook=runbook
    )
    if any(not route.matchers for route in routes):
        return False
    save_route(actor=SYSTEM, alertname=alertname, runbook=runbook, provider=provider)
    return True
