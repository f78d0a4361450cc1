"""What is searched, per document: one `SearchEntry` row of weighted parts, rewritten by the
services whenever one of them changes (in the writer's transaction), and all at once by
`rebuild_search_index`.

- title (weighted highest);
- names: the alert names routed to a runbook, each whole and split into words
  (`CephOSDDown` → `Ceph OSD Down`, `kube_pod_crash` → `kube pod crash`) — community routes and
  routes of the runbook's own provider; another provider's routes say nothing about it here;
- tags: tag labels, a runbook's component, a post-mortem's severity and affected services, a
  report's environment and outcome;
- text: the current revision as plain text, and the comments that lists show (neither hidden
  nor deleted).
"""

import re
from collections.abc import Callable

from django.db.models import Q

from runbooks import markdown
from runbooks.kinds.registry import KINDS
from runbooks.models import AlertRoute, Comment, Document, SearchEntry

from .backends import backend

# Characters of a document's text (body, then comments) that are indexed and ranked: ranking
# reads every occurrence of the query's words in a matching document, so this bounds the work
# per document (PostgreSQL's tsvector holds up to 1 MB anyway). Real runbooks are far shorter.
MAX_TEXT = 100_000
_UNINDEXED = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_IDENTIFIER = re.compile(r"\b[A-Za-z0-9]*[a-z][A-Z][A-Za-z0-9]*\b")  # lower then upper inside


def split_name(name: str) -> str:
    """An alert name's words: CamelCase and snake_case apart."""
    return " ".join(_CAMEL.findall(name))


def split_words(text: str, limit: int = 2000) -> str:
    """The words inside the CamelCase identifiers of `text` (`EtcdNoLeader` → Etcd No Leader),
    so that searching for the words finds the identifier too."""
    found = {}
    for identifier in _IDENTIFIER.findall(text):
        words = split_name(identifier)
        if " " in words:
            found[words] = None
            if len(found) >= limit:
                break
    return " ".join(found)


def _plain(text: str) -> str:
    return _UNINDEXED.sub(" ", text)


def _names(document: Document) -> str:
    """One line per alert name: the name as routed, a tab, its words (for the kinds alert
    routes lead to)."""
    if not KINDS[document.kind].routable:
        return ""
    own = Q(provider__isnull=True) | Q(provider_id=document.provider_id)
    routed = AlertRoute.objects.filter(own, runbook_id=document.pk)
    names = dict.fromkeys(routed.order_by("alertname").values_list("alertname", flat=True))
    return "\n".join(f"{name}\t{split_name(name)}" for name in names)


def _details(document: Document) -> list[str]:
    """The kind's own fields, as words."""
    specific = document.specific
    parts = [getattr(specific, "component", "")]
    parts += [getattr(specific, "severity", "") or "", getattr(specific, "outcome", "") or ""]
    parts += list(getattr(specific, "affected_services", None) or [])
    for key, value in (getattr(specific, "environment", None) or {}).items():
        parts += [key, value]
    return [str(part) for part in parts if part]


def _text(document: Document) -> str:
    """The body, then the comments lists show, up to MAX_TEXT: comments past it are not read,
    so a long thread costs each of its writes no more than a short one."""
    revision = document.current_revision
    parts = [markdown.text_of(revision.html) if revision else ""]
    length = len(parts[0])
    shown = Comment.objects.filter(document=document, hidden_at=None, deleted_at=None)
    for html in shown.values_list("html", flat=True).iterator(chunk_size=50):
        if length >= MAX_TEXT:
            break
        parts.append(markdown.text_of(html))
        length += len(parts[-1]) + 2
    return "\n\n".join(parts)[:MAX_TEXT]


def entry_values(document: Document) -> dict:
    tags = [tag.label for tag in document.tags.all()]
    text = _text(document)
    return {
        "title": _plain(f"{document.title} {split_words(document.title)}".strip()),
        "names": _plain(_names(document)),
        "tags": _plain(" ".join([*tags, *_details(document), split_words(text)])),
        "text": _plain(text),
    }


def reindex(document: Document) -> None:
    """Rewrite the document's entry (call inside the write's transaction)."""
    document = Document.objects.select_related("current_revision").get(pk=document.pk)
    SearchEntry.objects.update_or_create(document=document, defaults=entry_values(document))
    backend().after_write([document.pk])


def reindex_runbook(runbook_id: int | None) -> None:
    """After a route change: the runbook's alert names."""
    if runbook_id is not None:
        reindex(Document(pk=runbook_id))


def rebuild(progress: Callable[[int, int], None] | None = None, batch: int = 500) -> int:
    """Every document's entry again (after an upgrade, or data loaded in bulk)."""
    ids = list(Document.objects.order_by("pk").values_list("pk", flat=True))
    SearchEntry.objects.exclude(document_id__in=ids).delete()
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        documents = Document.objects.filter(pk__in=chunk).select_related("current_revision")
        for document in documents.prefetch_related("tags"):
            SearchEntry.objects.update_or_create(document=document, defaults=entry_values(document))
        backend().after_write(chunk)
        if progress:
            progress(min(start + batch, len(ids)), len(ids))
    return len(ids)
