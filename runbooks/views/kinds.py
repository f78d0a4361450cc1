"""What each kind of document adds to the pages, keyed by kind: its extra pages (under
`/<prefix>/<slug>/…`), the context its read and history pages add, where a new one may start
from, and the service its new-document page creates it with.

The pages register here, from above: the kinds registry (`runbooks.kinds`) holds data only and
names no view. A kind without an entry has the shared pages only (`DEFAULT`)."""

from collections.abc import Callable
from dataclasses import dataclass

from runbooks.choices import Kind
from runbooks.services import documents as document_services
from runbooks.services import runbooks as runbook_services

from . import postmortems, reports, routes
from . import runbooks as runbook_pages


@dataclass(frozen=True)
class PageAction:
    """An extra page of the kind under `/<prefix>/<slug>/…`; its URL name is `<kind>-<name>`."""

    route: str
    view: Callable
    name: str


@dataclass(frozen=True)
class KindPages:
    actions: tuple[PageAction, ...] = ()
    # f(request, document) -> extra context of the read page, and of the history page.
    detail_context: Callable[..., dict] | None = None
    history_context: Callable[..., dict] | None = None
    # f(request, document) -> {name: HTML} of the read page's parts rendered for every request
    # (`personal.<name>` in its templates, given the document's id, kind, slug and title only
    # when `cache_shared`), and whether the rest of its content is cached per reader
    # (runbooks/fragments.py: everything else it shows must move `page_changed_at`).
    personal_parts: Callable[..., dict[str, str]] | None = None
    cache_shared: bool = False
    # f(request) -> (form initial, relation values): a new document started from what the
    # request names (`?from_alert=<id>`, `?from_runbook=<slug>`: "Start a post-mortem"); the
    # form carries both through the POST.
    start_from: Callable[..., tuple[dict, dict]] | None = None
    # The service the new-document page creates one with (a runbook's also makes the route
    # of the alert named in its form).
    create: Callable = document_services.create_document


DEFAULT = KindPages()

PAGES: dict[str, KindPages] = {
    Kind.RUNBOOK: KindPages(
        actions=(
            PageAction("<slug:slug>/review/", runbook_pages.runbook_review, "review"),
            PageAction("<slug:slug>/routes/", routes.route_add, "route-add"),
            PageAction(
                "<slug:slug>/routes/<id:route_id>/delete/", routes.route_delete, "route-delete"
            ),
            PageAction(
                "<slug:slug>/routes/changes/<id:change_id>/restore/",
                runbook_pages.route_restore,
                "route-restore",
            ),
        ),
        detail_context=runbook_pages.detail_context,
        history_context=runbook_pages.history_context,
        personal_parts=runbook_pages.personal_parts,
        cache_shared=True,
        create=runbook_services.create_runbook,
    ),
    Kind.POSTMORTEM: KindPages(
        actions=(
            PageAction("<slug:slug>/action-items/", postmortems.action_item_add, "action-item-add"),
            PageAction(
                "<slug:slug>/action-items/<id:item_id>/",
                postmortems.action_item_change,
                "action-item-change",
            ),
            PageAction(
                "<slug:slug>/runbooks-used/", postmortems.runbooks_used_change, "runbooks-used"
            ),
        ),
        detail_context=postmortems.detail_context,
        start_from=postmortems.start_from,
    ),
    Kind.REPORT: KindPages(detail_context=reports.detail_context),
}


def pages_of(kind: str) -> KindPages:
    return PAGES.get(kind, DEFAULT)
