"""Markdown to safe HTML: the one module that turns user text into markup (DESIGN §6).

Python-Markdown renders; bleach then keeps only a small allow-list. Revisions and comments are
rendered once, when saved, and the cleaned HTML is stored beside the source.

Some short texts take Python-Markdown minutes (`[` repeated, thousands of headings, deep
quotes), and its regular expressions cannot be interrupted from inside the process, nor can a
signal reach a request thread. So the rendering runs in a renderer process of its own that the
caller waits for at most RENDER_TIMEOUT_SECONDS and kills when the time is up.
"""

import atexit
import importlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import traceback
from dataclasses import dataclass, field
from functools import partial
from html import unescape
from multiprocessing import Pipe
from multiprocessing.connection import Connection
from urllib.parse import urlsplit

import bleach
import markdown
from bleach.linkifier import LinkifyFilter
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.html import strip_tags
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
# How long a render may take before the text is refused; settings.OPENOPS_MARKDOWN_TIMEOUT wins.
RENDER_TIMEOUT_SECONDS = 2.0
# Starting a renderer (Python, Markdown, bleach) is not the text's fault, so it has its own limit.
STARTUP_TIMEOUT_SECONDS = 30.0
# What the renderer process runs for each text ("module:function", text -> {"html", "toc"}).
# The bound's tests swap in a renderer that is slow on purpose, through this same process and
# time-out path, so they do not depend on how slow a given Markdown release is.
RENDER_FUNCTION = "runbooks.markdown:render_here"


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


def _comment_attribute(tag: str, name: str, value: str) -> bool:
    """A comment's headings carry no id: the document's sections own their anchors."""
    if tag == "a" and name == "rel":
        return value == "nofollow noopener"
    return name != "id" and _allowed_attribute(tag, name, value)


_comment_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS, attributes=_comment_attribute, protocols=LINK_PROTOCOLS, strip=True
)
_HEADERLINK = re.compile(r'<a class="headerlink" href="#[^"]*" title="Link to this section">#</a>')


@dataclass
class Rendered:
    html: str
    toc: list[dict] = field(default_factory=list)


class TooComplex(ValidationError):
    """The text would take longer than the time limit (or nest deeper than Python can) to render."""


def _too_complex(seconds: float) -> TooComplex:
    unit = "second" if seconds == 1 else "seconds"
    return TooComplex(
        f"The text is too complex to render (it would take more than {seconds:g} {unit}); "
        "simplify it, e.g. split very long tables or deeply nested quotes.",
        code="too_complex",
    )


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
    """Render Markdown to sanitised HTML plus a flat table of contents.

    Raises ValidationError for a text over the size limit, and TooComplex (a ValidationError)
    for one that takes longer than the time limit to render.
    """
    check_size(text)
    timeout = getattr(settings, "OPENOPS_MARKDOWN_TIMEOUT", RENDER_TIMEOUT_SECONDS)
    with _lock:
        answer = _ask_renderer(normalise(text).encode("utf-8"), timeout)
    if "error" in answer:
        if answer["error"] in ("RecursionError", "MemoryError"):
            raise _too_complex(timeout)
        raise RuntimeError(f"The Markdown renderer failed:\n{answer['detail']}")
    return Rendered(html=answer["html"], toc=answer["toc"])


def text_of(html: str) -> str:
    """Rendered HTML as plain text (search), without the headings' "#" anchors."""
    return unescape(strip_tags(_HEADERLINK.sub("", html)))


def render_comment(text: str) -> str:
    """A comment's sanitised HTML: like a document's, without heading anchors or ids."""
    return _comment_cleaner.clean(_HEADERLINK.sub("", render(text).html))


def render_here(text: str) -> dict:
    """The rendering itself, run inside the renderer process; needs no Django settings."""
    md = markdown.Markdown(
        extensions=[
            "fenced_code",
            "sane_lists",
            TableExtension(use_align_attribute=True),
            TocExtension(permalink="#", permalink_title="Link to this section", toc_depth="2-4"),
        ],
        output_format="html",
    )
    html = md.convert(text)
    return {"html": clean(html), "toc": _flatten(md.toc_tokens)}


def clean(html: str) -> str:
    """Sanitise HTML against the allow-list (also used by `rerender_markdown`)."""
    return _cleaner.clean(html)


# --- The renderer process -----------------------------------------------------------------------
# One per process, started on first use and shared by its threads under _lock. A plain
# subprocess rather than multiprocessing.Process: Celery's prefork workers are daemonic, and
# multiprocessing refuses to start children from them.

_CHILD_CODE = (
    "import sys; sys.path[:] = {path!r}; from runbooks.markdown import _serve; "
    "_serve({fd}, {function!r})"
)


@dataclass
class _Renderer:
    process: subprocess.Popen
    conn: Connection
    function: str

    def ask(self, request: bytes, timeout: float) -> dict:
        self.conn.send_bytes(request)
        if not self.conn.poll(timeout):
            raise _too_complex(timeout)
        return json.loads(self.conn.recv_bytes())

    def stop(self) -> None:
        self.conn.close()
        self.process.kill()
        self.process.wait()


_lock = threading.Lock()
_renderer: _Renderer | None = None


def _start_renderer(function: str) -> _Renderer:
    ours, theirs = Pipe()
    code = _CHILD_CODE.format(path=sys.path, fd=theirs.fileno(), function=function)
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.DEVNULL, pass_fds=[theirs.fileno()]
    )
    theirs.close()
    renderer = _Renderer(process, ours, function)
    try:
        ready = ours.poll(STARTUP_TIMEOUT_SECONDS) and ours.recv_bytes() == b"ready"
    except (EOFError, OSError):
        ready = False
    if not ready:
        renderer.stop()
        raise RuntimeError("The Markdown renderer process did not start; see its output above.")
    return renderer


def _ask_renderer(request: bytes, timeout: float) -> dict:
    """One request to the renderer, restarting it once if it died; call with _lock held."""
    global _renderer
    if _renderer is not None and _renderer.function != RENDER_FUNCTION:
        _stop_renderer()
    for attempt in (1, 2):
        if _renderer is None:
            _renderer = _start_renderer(RENDER_FUNCTION)
        try:
            return _renderer.ask(request, timeout)
        except (EOFError, OSError) as exc:  # it died under us (killed, out of memory…)
            _stop_renderer()
            if attempt == 2:
                raise RuntimeError("The Markdown renderer process died twice in a row.") from exc
        except BaseException:
            # Out of time, or interrupted: it may still be busy, and an answer arriving later
            # would be taken for the next text's. Only a fresh process is safe.
            _stop_renderer()
            raise


def _stop_renderer() -> None:
    global _renderer
    if _renderer is not None:
        _renderer, renderer = None, _renderer
        renderer.stop()


def _forget_renderer_after_fork() -> None:
    """A forked child (gunicorn, Celery prefork) must not share, or stop, its parent's renderer."""
    global _renderer, _lock
    _renderer, _lock = None, threading.Lock()


atexit.register(_stop_renderer)
os.register_at_fork(after_in_child=_forget_renderer_after_fork)


def _serve(fd: int, function: str) -> None:
    """The renderer process: answer texts until the parent closes its end or is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent, which stops us
    conn = Connection(fd)
    module, name = function.split(":")
    render_one = getattr(importlib.import_module(module), name)
    render_one("# Warm up\n")  # load the extensions now, not during the first timed render
    conn.send_bytes(b"ready")
    while True:
        try:
            text = conn.recv_bytes().decode("utf-8")
        except EOFError:
            return
        try:
            answer = render_one(text)
        except Exception as exc:  # reported to the parent, which raises
            answer = {"error": type(exc).__name__, "detail": traceback.format_exc()}
        conn.send_bytes(json.dumps(answer).encode("utf-8"))
