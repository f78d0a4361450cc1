"""The sanitiser's allow-list, pinned whole (DESIGN §6; issue 38): every HTML element is tried,
and only the listed tags survive; every attribute is tried on every kept tag, and only the
listed (tag, attribute) pairs survive. The expected lists are written out here on purpose, not
read from runbooks/markdown.py: a tag or attribute added there must be added here too.

`clean()` is the allow-list itself (in this process); a few cases also go through `render()`
(Python-Markdown in the renderer process, then the same allow-list) and `render_comment()`.
"""

from html.parser import HTMLParser

import pytest

from runbooks.markdown import clean, render, render_comment

# DESIGN §6: headings, paragraphs, lists, code, pre, tables, blockquote, links, images,
# details/summary, mark, and a few inline tags of Markdown's own output.
KEPT_TAGS = {
    *("h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "blockquote"),
    *("ul", "ol", "li", "dl", "dt", "dd"),
    *("code", "pre", "kbd", "samp", "mark", "em", "strong", "del", "s", "sup", "sub"),
    *("table", "thead", "tbody", "tr", "th", "td"),
    *("a", "img", "details", "summary"),
}

# Every element of the WHATWG HTML standard, the obsolete and non-standard ones browsers still
# parse, and the roots of embedded SVG and MathML.
HTML_TAGS = sorted(
    {
        *("a", "abbr", "acronym", "address", "applet", "area", "article", "aside", "audio"),
        *("b", "base", "basefont", "bdi", "bdo", "bgsound", "big", "blink", "blockquote"),
        *("body", "br", "button", "canvas", "caption", "center", "cite", "code", "col"),
        *("colgroup", "data", "datalist", "dd", "del", "details", "dfn", "dialog", "dir"),
        *("div", "dl", "dt", "em", "embed", "fieldset", "figcaption", "figure", "font"),
        *("footer", "form", "frame", "frameset", "h1", "h2", "h3", "h4", "h5", "h6", "head"),
        *("header", "hgroup", "hr", "html", "i", "iframe", "image", "img", "input", "ins"),
        *("isindex", "kbd", "keygen", "label", "legend", "li", "link", "listing", "main"),
        *("map", "mark", "marquee", "math", "menu", "menuitem", "meta", "meter", "multicol"),
        *("nav", "nextid", "nobr", "noembed", "noframes", "noscript", "object", "ol"),
        *("optgroup", "option", "output", "p", "param", "picture", "plaintext", "portal"),
        *("pre", "progress", "q", "rb", "rp", "rt", "rtc", "ruby", "s", "samp", "script"),
        *("search", "section", "select", "slot", "small", "source", "spacer", "span"),
        *("strike", "strong", "style", "sub", "summary", "sup", "svg", "table", "tbody", "td"),
        *("template", "textarea", "tfoot", "th", "thead", "time", "title", "tr", "track", "tt"),
        *("u", "ul", "var", "video", "wbr", "xmp"),
    }
)

# (tag, attribute) pairs that are kept, with a value each may have. Anything else is dropped.
KEPT_ATTRIBUTES = {
    **{(f"h{n}", "id"): "section" for n in range(1, 7)},
    ("a", "href"): "https://example.org/page",
    ("a", "title"): "A title",
    ("a", "class"): "headerlink",
    ("img", "src"): "https://example.org/image.png",
    ("img", "alt"): "A picture",
    ("img", "title"): "A title",
    ("img", "width"): "40",
    ("img", "height"): "30",
    ("code", "class"): "language-python",
    ("th", "align"): "left",
    ("td", "align"): "right",
    ("ol", "start"): "3",
    ("details", "open"): "",
}

# Attributes tried on every kept tag: the kept ones, the handlers and the DOM clobberers.
ATTRIBUTES = sorted(
    {
        *("id", "name", "class", "style", "title", "href", "src", "srcset", "alt", "width"),
        *("height", "align", "start", "open", "lang", "dir", "tabindex", "target", "rel"),
        *("form", "formaction", "action", "background", "poster", "xmlns", "data-x", "is"),
        *("onclick", "onerror", "onload", "onmouseover", "onfocus", "ontoggle", "autofocus"),
        *("contenteditable", "hidden", "accesskey", "popover", "slot", "nonce", "type"),
    }
)


class _Elements(HTMLParser):
    """The start tags of some HTML, each with its attributes."""

    def __init__(self, html: str):
        super().__init__()
        self.found: list[tuple[str, dict]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict]]:
    return _Elements(html).found


def tags_in(html: str) -> set[str]:
    return {tag for tag, _ in elements(html)}


# Where the parser accepts a tag: a table cell outside a table is dropped before any allow-list.
PARENTS = {
    **dict.fromkeys(("li",), ("ul",)),
    **dict.fromkeys(("dt", "dd"), ("dl",)),
    **dict.fromkeys(("thead", "tbody", "tfoot", "tr", "caption", "colgroup", "col"), ("table",)),
    **dict.fromkeys(("td", "th"), ("table", "tr")),
    **dict.fromkeys(("option", "optgroup"), ("select",)),
    "summary": ("details",),
}


def in_context(tag: str, inner: str) -> str:
    parents = PARENTS.get(tag, ())
    opening = "".join(f"<{parent}>" for parent in parents)
    closing = "".join(f"</{parent}>" for parent in reversed(parents))
    return f"{opening}{inner}{closing}"


def value_for(tag: str, attribute: str) -> str:
    """A value the attribute may have on this tag if it may have any."""
    if (tag, attribute) in KEPT_ATTRIBUTES:
        return KEPT_ATTRIBUTES[(tag, attribute)]
    for (_, name), value in KEPT_ATTRIBUTES.items():
        if name == attribute:
            return value
    return "x"


def attributes_kept(tag: str, attribute: str, value: str) -> dict:
    """The attributes left on the first `tag` element after cleaning it with one attribute."""
    html = clean(in_context(tag, f'<{tag} {attribute}="{value}">text</{tag}>'))
    found = [attrs for name, attrs in elements(html) if name == tag]
    assert found, html
    kept = {name: value or "" for name, value in found[0].items()}  # `open` has no value
    if tag == "a":  # links off the page get rel="nofollow noopener" (tested on its own below)
        within_page = kept.get("href", "").startswith("#")
        assert kept.pop("rel", None) == (None if within_page else "nofollow noopener"), html
    return kept


# --- Tags -----------------------------------------------------------------------------------


def test_the_list_of_html_tags_holds_every_kept_tag():
    assert set(HTML_TAGS) >= KEPT_TAGS


@pytest.mark.parametrize("tag", HTML_TAGS)
def test_only_the_allow_listed_tags_survive(tag):
    html = clean(f"<p>before</p>{in_context(tag, f'<{tag}>inside</{tag}>')}<p>after</p>")
    found = tags_in(html)
    assert found <= KEPT_TAGS, html
    assert (tag in found) == (tag in KEPT_TAGS), html


@pytest.mark.parametrize("tag", ["style", "script", "iframe", "form", "svg", "math", "object"])
def test_raw_html_in_markdown_loses_every_tag_off_the_list(tag):
    html = render(
        f"Text\n\n<{tag}>body {{ display: none }}</{tag}>\n\nmore <{tag}>x</{tag}>\n"
    ).html
    assert f"<{tag}" not in html.lower(), html
    assert tags_in(html) <= KEPT_TAGS


def test_upper_case_and_odd_spellings_of_a_forbidden_tag_are_the_same_tag():
    for source in ("<STYLE>a{}</STYLE>", "<Style >a{}</Style>", "<style/>", "<style\n>a</style>"):
        assert "style" not in tags_in(clean(source)), source


# --- Attributes -----------------------------------------------------------------------------


@pytest.mark.parametrize("tag", sorted(KEPT_TAGS))
@pytest.mark.parametrize("attribute", ATTRIBUTES)
def test_only_the_allow_listed_attributes_survive_on_each_tag(tag, attribute):
    value = value_for(tag, attribute)
    kept = attributes_kept(tag, attribute, value)
    if (tag, attribute) in KEPT_ATTRIBUTES:
        assert kept == {attribute: value}
    else:
        assert kept == {}


def test_ids_are_kept_on_headings_only_so_no_element_can_clobber_the_dom():
    html = clean(
        '<h2 id="summary">S</h2><p id="location">p</p><a id="x" href="#summary">a</a>'
        '<img id="body" src="https://e.example/i.png"><form id="f"></form>'
    )
    assert [attrs.get("id") for _, attrs in elements(html)] == ["summary", None, None, None]


def test_headings_rendered_from_markdown_carry_their_ids_and_nothing_else_does():
    html = render("## Check the disk\n\nA paragraph.\n\n- an item\n").html
    with_ids = [(tag, attrs["id"]) for tag, attrs in elements(html) if "id" in attrs]
    assert with_ids == [("h2", "check-the-disk")]


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("https://example.org/", True),
        ("http://example.org/", True),
        ("mailto:ops@example.org", True),
        ("/runbooks/ceph-osd-down/", True),
        ("#summary", True),
        ("javascript:alert(1)", False),
        ("JavaScript:alert(1)", False),
        ("vbscript:msgbox(1)", False),
        ("data:text/html;base64,PHNjcmlwdD4=", False),
        ("ftp://example.org/file", False),
        ("file:///etc/passwd", False),
    ],
)
def test_links_keep_http_https_mailto_and_relative_targets_only(value, kept):
    assert ("href" in attributes_kept("a", "href", value)) is kept


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("https://example.org/i.png", True),
        ("http://example.org/i.png", True),
        (" HTTPS://example.org/i.png", True),
        ("/static/i.png", False),
        ("data:image/png;base64,AAAA", False),
        ("javascript:alert(1)", False),
        ("mailto:ops@example.org", False),
        ("ftp://example.org/i.png", False),
    ],
)
def test_images_keep_http_and_https_sources_only(value, kept):
    assert ("src" in attributes_kept("img", "src", value)) is kept


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("language-python", True),
        ("language-objective-c", True),
        ("language-c99", True),
        ("language-", False),
        ("language-c++", False),
        ("language-x onmouseover", False),
        ("lang-python", False),
        ("python", False),
        ("highlight", False),
    ],
)
def test_code_keeps_a_language_class_only(value, kept):
    assert ("class" in attributes_kept("code", "class", value)) is kept


@pytest.mark.parametrize(("tag", "value"), [("a", "headerlink"), ("a", "button"), ("p", "x")])
def test_only_links_to_sections_keep_a_class(tag, value):
    assert ("class" in attributes_kept(tag, "class", value)) is (value == "headerlink")


@pytest.mark.parametrize("tag", ["th", "td"])
@pytest.mark.parametrize(
    ("value", "kept"), [("left", True), ("center", True), ("right", True), ("justify", False)]
)
def test_table_cells_keep_their_alignment_only(tag, value, kept):
    assert ("align" in attributes_kept(tag, "align", value)) is kept


def test_every_link_gets_nofollow_except_links_within_the_page():
    html = clean('<a href="https://e.example/" rel="opener">x</a><a href="#top" rel="opener">y</a>')
    assert [attrs.get("rel") for _, attrs in elements(html)] == ["nofollow noopener", None]


# --- Comments: the same list, without ids ----------------------------------------------------


def test_a_comment_keeps_the_same_tags_but_no_ids_and_no_section_anchors():
    html = render_comment(
        "## Heading\n\n<p id='x' style='color:red' onclick='f()'>p</p>\n\n"
        "[link](https://e.example/)\n\n<style>a{}</style>\n"
    )
    found = elements(html)
    assert {tag for tag, _ in found} == {"h2", "p", "a"}
    assert [attrs for tag, attrs in found if tag != "a"] == [{}, {}, {}]
    assert [attrs for tag, attrs in found if tag == "a"] == [
        {"href": "https://e.example/", "rel": "nofollow noopener"}
    ]


def test_links_get_rel_written_exactly_as_browsers_read_it():
    assert 'rel="nofollow noopener"' in clean('<a href="https://e.example/">x</a>')


def test_a_comment_keeps_the_attributes_a_document_keeps_except_ids():
    html = render_comment(
        "```python\nprint(1)\n```\n\n![disk](https://e.example/disk.png)\n\n"
        "| a | b |\n|:--|--:|\n| 1 | 2 |\n"
    )
    found = elements(html)
    assert ("code", {"class": "language-python"}) in found
    assert ("img", {"alt": "disk", "src": "https://e.example/disk.png"}) in found
    assert ("th", {"align": "left"}) in found and ("td", {"align": "right"}) in found
