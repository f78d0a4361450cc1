"""Writing an offline copy: its pages, its search index and route table (as script files, which
a page opened from `file://` may load where it may not fetch), and the site's own assets — to a
folder (`export_site`) or to a zip (the download).

A page is rendered by the templates under `templates/offline/`, which reuse the site's parts
(badges, the stored sanitised HTML, the site's CSS), then rewritten by `links.Linker`.
"""

import html
import io
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import strip_tags

from runbooks.kinds.registry import KINDS
from runbooks.offline.contents import Contents
from runbooks.offline.links import Linker

MANIFEST = ".openops-offline.json"
ASSETS = {  # the copy's file: the site's static file
    "static/app.css": "runbooks/app.css",
    "static/favicon.svg": "runbooks/favicon.svg",
    "static/offline.js": "runbooks/offline.js",
}
DATA = ("data/search-index.js", "data/routes.js")
MAX_INDEXED_TEXT = 20_000  # characters of a document's text in the search index
_SPACE = re.compile(r"\s+")
_HEADERLINK = re.compile(r'<a class="headerlink"[^>]*>.*?</a>')  # the "#" beside each heading


class NotACopy(ValueError):
    """The folder holds other files: an export never overwrites what it did not write."""


class FolderSink:
    """Files in a folder; a file whose bytes are unchanged is not written again, and files of
    an earlier export that this one no longer holds (a document now hidden) are removed."""

    def __init__(self, root: Path):
        self.root = root
        manifest = root / MANIFEST
        if root.exists() and any(root.iterdir()) and not manifest.exists():
            raise NotACopy(
                f"{root} holds other files; export to an empty folder or an earlier copy."
            )
        self.earlier = (
            set(json.loads(manifest.read_text())["files"]) if manifest.exists() else set()
        )
        self.unchanged = 0

    def write(self, name: str, data: bytes) -> None:
        path = self.root / name
        if path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data:
            self.unchanged += 1
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def finish(self, names: list[str]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        for gone in sorted(self.earlier - set(names)):
            (self.root / gone).unlink(missing_ok=True)
        (self.root / MANIFEST).write_text(_json({"files": sorted(names)}))


class ZipSink:
    """Files in a zip held in memory, under one folder named after the copy."""

    def __init__(self, folder: str):
        self.folder = folder
        self.buffer = io.BytesIO()
        self.zip = zipfile.ZipFile(self.buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=6)
        self.unchanged = 0

    def write(self, name: str, data: bytes) -> None:
        self.zip.writestr(f"{self.folder}/{name}", data)

    def finish(self, names: list[str]) -> None:
        self.zip.close()

    def bytes(self) -> bytes:
        return self.buffer.getvalue()


@dataclass
class Written:
    files: int
    unchanged: int
    documents: int


Progress = Callable[[int, int], None]


def file_of(document) -> str:
    return f"{KINDS[document.kind].url_prefix}/{document.slug}.html"


def build(contents: Contents, sink, base_url: str, progress: Progress | None = None) -> Written:
    """Write the whole copy to `sink`, calling `progress(done, total)` as pages are done."""
    files = {document.get_absolute_url(): file_of(document) for document in contents.documents}
    files.update(
        {reverse("tag-detail", args=[slug]): f"tags/{slug}.html" for slug in contents.tags}
    )
    files["/"] = "index.html"
    files.update({reverse(f"{spec.kind}-list"): "index.html" for spec in KINDS})
    linker = Linker(files, base_url, others=[*ASSETS, *DATA, "alert.html"])
    common = {"contents": contents, "base_url": base_url, "kinds": _kinds(contents)}
    names: list[str] = []
    total = len(contents.documents) + len(contents.tags) + 2
    done = 0

    def page(name: str, site_path: str, template: str, **context) -> None:
        nonlocal done
        root = "../" * name.count("/")
        context = {**common, **context, "root": root, "online": f"{base_url}{site_path}"}
        rendered = render_to_string(template, context)
        put(name, linker.rewrite(rendered, name, site_path).encode())
        done += 1
        if progress:
            progress(done, total)

    def put(name: str, data: bytes) -> None:
        sink.write(name, data)
        names.append(name)

    alertnames = _alertnames(contents)
    for document in contents.documents:
        page(
            file_of(document),
            document.get_absolute_url(),
            "offline/document.html",
            **_document_context(document, contents, alertnames.get(document.pk, [])),
        )
    for slug, tagged in contents.tags.items():
        label = contents.tag_labels[slug]
        site_path = reverse("tag-detail", args=[slug])
        page(f"tags/{slug}.html", site_path, "offline/tag.html", label=label, tagged=tagged)
    page("index.html", "/", "offline/index.html", tags=contents.tag_labels)
    page("alert.html", "/", "offline/alert.html", table=_alert_table(contents))
    put(
        "data/search-index.js",
        _script("OPENOPS_OFFLINE_INDEX", _search_index(contents, alertnames)),
    )
    put("data/routes.js", _script("OPENOPS_OFFLINE_ROUTES", _route_table(contents)))
    for name, static in ASSETS.items():
        put(name, Path(finders.find(static)).read_bytes())
    sink.finish(names)
    return Written(files=len(names), unchanged=sink.unchanged, documents=len(contents.documents))


def _kinds(contents: Contents) -> list[dict]:
    return [
        {
            "label": spec.label,
            "anchor": spec.url_prefix,
            "documents": [d for d in contents.documents if d.kind == spec.kind],
        }
        for spec in KINDS
    ]


def _document_context(document, contents: Contents, alertnames: list[str]) -> dict:
    spec = KINDS[document.kind]
    subject = getattr(document, "subject", None)
    return {
        "document": document,
        "revision": document.current_revision,
        "tags": list(document.tags.all()),
        "kind_label": spec.label,
        "prefix": reverse(f"{spec.kind}-list"),
        "anchor": spec.url_prefix,
        # the kind's badges as a copy shows them, where they differ from the site's (dates,
        # not "3 days ago", which a copy read in a month would get wrong)
        "parts": {
            "meta": spec.parts.get("offline_meta") or spec.parts.get("meta", ""),
            # the alert that opened the page from the copy's look-up (its labels in the link)
            "banner": spec.parts.get("offline_banner", ""),
        },
        # a report's runbook, when the copy holds it (never the title of one it does not)
        "subject": subject if subject is not None and subject.pk in contents.by_id else None,
        "alertnames": alertnames,
    }


def _alertnames(contents: Contents) -> dict[int, list[str]]:
    """Per runbook in the copy, the alert names whose routes lead to it."""
    found: dict[int, set[str]] = {}
    for route in contents.routes:
        if route.in_copy:
            found.setdefault(route.runbook, set()).add(route.alertname)
    return {pk: sorted(names, key=str.casefold) for pk, names in found.items()}


def _alert_table(contents: Contents) -> list[dict]:
    """Every alert name with a runbook in the copy: the look-up page's list without JS."""
    rows = {}
    for route in contents.routes:
        if route.in_copy:
            document = contents.by_id[route.runbook]
            rows.setdefault((route.alertname.casefold(), route.alertname), set()).add(document)
    return [
        {"alertname": name, "runbooks": sorted(docs, key=lambda d: d.title.casefold())}
        for (_, name), docs in sorted(rows.items())
    ]


def _text(document) -> str:
    text = html.unescape(strip_tags(_HEADERLINK.sub("", document.current_revision.html)))
    return _SPACE.sub(" ", text).strip()[:MAX_INDEXED_TEXT]


def _search_index(contents: Contents, alertnames: dict[int, list[str]]) -> list[dict]:
    return [
        {
            "title": document.title,
            "kind": KINDS[document.kind].label,
            "provider": document.provider.name if document.provider else "Community",
            "component": getattr(document, "component", ""),
            "tags": [tag.label for tag in document.tags.all()],
            "alerts": alertnames.get(document.pk, []),
            "file": file_of(document),
            "text": _text(document),
        }
        for document in contents.documents
    ]


def _route_table(contents: Contents) -> dict:
    """What the look-up page needs to choose as `/r/` does (DESIGN §4)."""
    only = [contents.scopes[0].slug] if len(contents.scopes) == 1 else []
    return {
        "scopes": [{"slug": p.slug, "name": p.name} for p in contents.scopes],
        "default": only[0] if only else None,
        "routes": [
            {
                "id": route.pk,
                "alertname": route.alertname,
                "provider": route.provider,
                "priority": route.priority,
                "matchers": route.matchers,
                "component": route.component,
                "file": file_of(contents.by_id[route.runbook]) if route.in_copy else None,
                "title": contents.by_id[route.runbook].title if route.in_copy else None,
            }
            for route in contents.routes
        ],
    }


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=True, sort_keys=True, separators=(",", ":"))


def _script(name: str, value) -> bytes:
    """A script that sets `window.<name>`: JSON is valid JavaScript, and escaping every
    non-ASCII character and `<` keeps it so in any reader."""
    escaped = _json(value).replace("<", "\\u003c")
    return f"window.{name} = {escaped};\n".encode()
