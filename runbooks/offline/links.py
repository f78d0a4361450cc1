"""Addresses in an offline page: site addresses become relative files of the copy, or plain
text when the copy does not hold what they lead to; nothing in a page makes a request.

Pages are rewritten whole, after rendering, so one mapping serves the templates' own links,
the stored Markdown HTML and the badges alike. Attributes are read with a regex: every page is
written by our templates or by bleach, which both quote attribute values with `"`.
"""

import html
import posixpath
import re
from urllib.parse import parse_qsl, unquote, urlencode, urljoin, urlsplit

# A tag that carries an address, and one attribute of it.
_TAG = re.compile(r"<(a|img|link|form)\b([^>]*)>", re.IGNORECASE)
_ADDRESS = re.compile(r'\s(href|src|action)="([^"]*)"', re.IGNORECASE)
_ATTRIBUTE = re.compile(r'\s([a-z-]+)="([^"]*)"', re.IGNORECASE)
# /r/<alertname>, /r/<component>/<alertname>: the alert look-up page answers them.
_ALERT_LINK = re.compile(r"^/r/(?:(?P<component>[^/]+)/)?(?P<alertname>[^/]+)/?$", re.IGNORECASE)
KEEP = "data-online"  # the "open online" links: left absolute on purpose
EXTERNAL_SCHEMES = {"http", "https", "mailto", "tel"}


class Linker:
    """Maps the site's addresses to the copy's files. `files` maps site paths (`/runbooks/x/`)
    to files of the copy (`runbooks/x.html`); `base_url` is the site's own address, whose
    absolute links count as site links; `others` names the copy's files that are not pages."""

    def __init__(self, files: dict[str, str], base_url: str = "", others=()):
        self.files = files
        self.held = {*files.values(), *others}  # `others`: assets and data, no site path
        self.base = urlsplit(base_url) if base_url else None

    def site_path(self, address: str, page_site_path: str):
        """(path, query, fragment) on the site that `address` leads to, or None when it leads
        elsewhere (another site, mail) or nowhere (a fragment of this page)."""
        parts = urlsplit(address)
        if parts.scheme or parts.netloc:
            if not self._ours(parts):
                return None
        elif not parts.path:
            return None  # "#section", "?q=" on this page: left as it is
        else:
            parts = urlsplit(urljoin(page_site_path, address))
        return unquote(parts.path), parts.query, parts.fragment

    def _ours(self, parts) -> bool:
        if self.base is None or parts.scheme.lower() not in {"http", "https"}:
            return False
        return parts.netloc.lower() == self.base.netloc.lower()

    def file_for(self, path: str, query: str) -> str | None:
        """The copy's file (with the query it keeps) for a site path, or None."""
        found = self.files.get(path) or self.files.get(path.rstrip("/") + "/")
        if found:
            return found
        if path.lower().rstrip("/") in {"/search", ""}:
            return _with_query("index.html", query, keep={"q"})
        alert = _ALERT_LINK.match(path)
        if path.lower().rstrip("/") == "/r":
            return _with_query("alert.html", query)
        if alert:
            extra = {"alertname": alert["alertname"]}
            if alert["component"]:
                extra["component"] = alert["component"]
            return _with_query("alert.html", query, extra=extra)
        return None

    def rewrite(self, page: str, page_file: str, page_site_path: str) -> str:
        """`page` (HTML) as the copy holds it at `page_file`."""
        folder = posixpath.dirname(page_file)

        def relative(target: str) -> str:
            name, _, rest = target.partition("?")
            relative_name = posixpath.relpath(name, folder or ".")
            return relative_name + (f"?{rest}" if rest else "")

        def tag(match: re.Match) -> str:
            name, attributes = match.group(1).lower(), match.group(2)
            if KEEP in attributes:
                return match.group(0)
            if name == "img" and not self._own_image(attributes, folder):
                return _image(attributes, self, page_site_path)
            return f"<{match.group(1)}{_ADDRESS.sub(address, attributes)}>"

        def address(match: re.Match) -> str:
            attribute, value = match.group(1), html.unescape(match.group(2))
            kept = self._kept(value, folder)
            if kept is not None:
                return f' {attribute}="{html.escape(kept)}"'
            found = self.site_path(value, page_site_path)
            if found is None:
                if urlsplit(value).scheme.lower() in EXTERNAL_SCHEMES or value.startswith("#"):
                    return match.group(0)
                return ""  # javascript:, data: or anything else: no address at all
            path, query, fragment = found
            target = self.file_for(path, query)
            if target is None:
                return ' title="Not in the offline copy"'
            anchor = f"#{fragment}" if fragment else ""
            return f' {attribute}="{html.escape(relative(target) + anchor)}"'

        return _TAG.sub(tag, page)

    def _own_image(self, attributes: str, folder: str) -> bool:
        found = _ADDRESS.search(attributes)
        return found is not None and self._kept(html.unescape(found.group(2)), folder) is not None

    def _kept(self, value: str, folder: str) -> str | None:
        """A relative address that already names a file of the copy (the templates' own)."""
        parts = urlsplit(value)
        if parts.scheme or parts.netloc or not parts.path or parts.path.startswith("/"):
            return None
        if posixpath.normpath(posixpath.join(folder, parts.path)) in self.held:
            return value
        return None


def _with_query(name: str, query: str, keep=None, extra=None) -> str:
    pairs = [(k, v) for k, v in parse_qsl(query) if keep is None or k in keep]
    pairs = list((extra or {}).items()) + pairs
    return f"{name}?{urlencode(pairs)}" if pairs else name


def _image(attributes: str, linker: Linker, page_site_path: str) -> str:
    """An image would be fetched from a server: the copy shows its description instead, a
    link to it when it is somewhere else (someone online may still open it)."""
    values = {k.lower(): html.unescape(v) for k, v in _ATTRIBUTE.findall(attributes)}
    text = html.escape(f"[image: {values.get('alt') or values.get('title') or 'no description'}]")
    source = values.get("src", "")
    elsewhere = source and linker.site_path(source, page_site_path) is None
    if elsewhere and urlsplit(source).scheme.lower() in {"http", "https"}:
        return f'<a class="offline-image" href="{html.escape(source)}">{text}</a>'
    return f'<span class="offline-image">{text}</span>'
