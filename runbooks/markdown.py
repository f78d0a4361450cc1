"""Markdown to safe HTML: the one module that turns user text into markup (DESIGN §6).

Python-Markdown renders; bleach then keeps only a small allow-list. Revisions and comments are
rendered once, when saved, and the cleaned HTML is stored beside the source.
"""

from dataclasses import dataclass, field
from functools import partial
from html import unescape
from urllib.parse import urlsplit

import bleach
import markdown
from bleach.linkifier import LinkifyFilter
from django.conf import settings
from django.core.exceptions import ValidationError
from markdown.extensions.tables import TableExtension
from markdown.extensions.toc import TocExtension

ALLOWED_TAGS = frozenset(
    {
        *("h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "blockquote"),
        *("ul", "ol", "li", "dl", "dt", "dd"),
        *("code", "pre", "kbd", "samp", "mark", "em", "strong", "del", "s", "sup", "sub"),
        *("table", "thead", "tbody", "tr", "th", "td"),
        *("a", "img", "details", "summary"),
    }
)
LINK_PROTOCOLS = frozenset({"http", "https", "mailto"})
IMAGE_PROTOCOLS = ("http", "https")


def _allowed_attribute(tag: str, name: str, value: str) -> bool:
    if name == "id":
        return tag in {"h1", "h2", "h3", "h4", "h5", "h6"}
    if tag == "a":
        return name in {"href", "title"} or (name == "class" and value == "headerlink")
    if tag == "img":
        if name == "src":
            return urlsplit(value.strip()).scheme.lower() in IMAGE_PROTOCOLS
        return name in {"alt", "title", "width", "height"}
    if tag == "code" and name == "class":
        return value.startswith("language-") and value[9:].replace("-", "").isalnum()
    if tag in {"th", "td"}:
        return name == "align" and value in {"left", "center", "right"}
    if tag == "ol":
        return name == "start"
    if tag == "details":
        return name == "open"
    return False


def _rel_nofollow(attrs, new=False):
    href_key = (None, "href")
    if not attrs.get(href_key, "").startswith("#"):
        attrs[(None, "rel")] = "nofollow noopener"
    return attrs


_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=_allowed_attribute,
    protocols=LINK_PROTOCOLS,
    strip=True,
    strip_comments=True,
    filters=[partial(LinkifyFilter, callbacks=[_rel_nofollow], skip_tags={"pre", "code"})],
)


@dataclass
class Rendered:
    html: str
    toc: list[dict] = field(default_factory=list)


def normalise(text: str) -> str:
    """LF line endings everywhere, so revisions, diffs and exports compare byte for byte."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def check_size(text: str) -> None:
    limit = settings.OPENOPS_MAX_MARKDOWN_BYTES
    size = len(text.encode("utf-8"))
    if size > limit:
        raise ValidationError(
            f"The text is {size // 1024} KB; the limit is {limit // 1024} KB.", code="too_long"
        )


def _flatten(tokens: list[dict]) -> list[dict]:
    flat = []
    for token in tokens:
        # Python-Markdown gives the name as escaped HTML; keep plain text, templates escape it.
        name = unescape(token["name"])
        flat.append({"level": token["level"], "id": token["id"], "name": name})
        flat.extend(_flatten(token["children"]))
    return flat


def render(text: str) -> Rendered:
    """Render Markdown to sanitised HTML plus a flat table of contents."""
    check_size(text)
    md = markdown.Markdown(
        extensions=[
            "fenced_code",
            "sane_lists",
            TableExtension(use_align_attribute=True),
            TocExtension(permalink="#", permalink_title="Link to this section", toc_depth="2-4"),
        ],
        output_format="html",
    )
    html = md.convert(normalise(text))
    return Rendered(html=clean(html), toc=_flatten(md.toc_tokens))


def clean(html: str) -> str:
    """Sanitise HTML against the allow-list (also used by `rerender_markdown`)."""
    return _cleaner.clean(html)
