"""A runbook opened from an alert, action first (issue 31): its first instruction before the
author's tools, a row to jump to each of its sections, the sections before that instruction
folded into one line, and nothing left out. Where the instruction lands on a phone's screen is
measured in a browser (bench/first_instruction.js); these tests pin the order it relies on."""

from datetime import timedelta

import pytest
from django.utils import timezone

from runbooks.actors import SYSTEM
from runbooks.choices import Kind
from runbooks.services import documents, routes
from runbooks.templatetags.instructions import cut
from tests.conftest import client_for
from tests.test_runbook_page_layout import Elements

BODY = """One or more OSDs are down.

## Meaning

An OSD stopped sending heartbeats.

## Impact

- PGs run degraded.
- A second failure blocks I/O.

## Diagnosis

1. Find the OSD and its host:

```bash
ceph osd find $OSD_ID
```

2. Read its log.

## Mitigation

Start it again.
"""
# The revision line, Edit, Mark reviewed, Archive, Watch, Print and the contents box.
TOOLS = (
    'class="muted revline"',
    'href="edit/"',
    'action="review/"',
    'action="status/"',
    'action="/watch/"',
    "data-print",
    'class="toc"',
)
FROM_ALERT = "?alert=CephOSDDown&label.ceph_daemon=osd.7&label.hostname=stor07"


@pytest.fixture
def runbook(alice, provider_a, make_runbook):
    runbook = make_runbook(alice, title="Ceph OSD down", body=BODY, provider=provider_a)
    routes.save_route(alertname="CephOSDDown", runbook=runbook, provider=provider_a, actor=SYSTEM)
    return runbook


def _page(user, url) -> str:
    response = client_for(user).get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def _opened_from_alert(user) -> str:
    """The page as /r/ opens it from the alert's link."""
    redirect = client_for(user).get(
        "/r/CephOSDDown", {"provider": "provider-a", "ceph_daemon": "osd.7", "hostname": "stor07"}
    )
    assert redirect.status_code == 302
    return _page(user, redirect["Location"])


def _first_step(page: str) -> int:
    text = page.index("data-fill-placeholders")
    return page.index("<li>", page.index("<ol>", text))


# --- The order -----------------------------------------------------------------------------------


def test_opened_from_an_alert_the_first_step_comes_before_the_authors_tools(alice, runbook):
    page = _opened_from_alert(alice)
    step = _first_step(page)
    assert "Find the OSD and its host" in page[step : step + 60]
    assert page.index("data-fill-placeholders") < step
    # The badges stay above the text, in one line; the revision line, the author's actions
    # (Edit, Mark reviewed, the status moves, Watch) and the contents box come after it.
    assert page.index('class="docmeta"') < step
    for tool in TOOLS:
        assert step < page.index(tool), tool
    (article,) = Elements(page).find("article")
    assert "action-first" in article["class"].split()


def test_without_an_alert_the_authors_tools_stay_above_the_text(alice, runbook):
    page = _page(alice, runbook.get_absolute_url())
    step = _first_step(page)
    for tool in TOOLS:
        assert page.index(tool) < step, tool
    (article,) = Elements(page).find("article")
    assert "action-first" not in article["class"].split()


def _tools(page: str) -> set[tuple[str, str]]:
    """What a reader can follow or do on a page: its links, its forms, its print button."""
    elements = Elements(page)
    found = {("a", a["href"]) for a in elements.find("a") if "href" in a}
    found |= {("form", f.get("action", "")) for f in elements.find("form")}
    found |= {("button", "print") for _ in elements.find("button", data_print="")}
    return found


@pytest.mark.parametrize("who", ["alice", None])
def test_nothing_is_left_out_only_moved(who, alice, runbook):
    user = alice if who else None
    plain = _tools(_page(user, runbook.get_absolute_url()))
    from_alert = _tools(_page(user, runbook.get_absolute_url() + FROM_ALERT))
    assert ("a", "edit/") in plain or who is None
    # Signed out, the sign-in link carries the page's own address, query and all.
    missing = {(tag, v) for tag, v in plain - from_alert if not v.startswith("/accounts/login/")}
    assert missing == set()


# --- The jump row and the fold -------------------------------------------------------------------


def test_the_jump_row_lists_the_texts_sections_and_each_anchor_exists(alice, runbook):
    page = _opened_from_alert(alice)
    elements = Elements(page)
    (banner,) = elements.find("aside", class_="alertbanner")
    (row,) = elements.find("nav", class_="jumpto no-print")
    assert row["aria-labelledby"] == "jumpto-label" and 'id="jumpto-label">Jump to<' in page
    start = page.index('<nav class="jumpto')
    links = Elements(page[start : page.index("</nav>", start)]).find("a")
    assert [a["href"] for a in links] == ["#meaning", "#impact", "#diagnosis", "#mitigation"]
    headings = {a["id"] for a in elements.find("h2") if "id" in a}
    assert {a["href"][1:] for a in links} <= headings
    # The row is in the banner, above the title.
    assert page.index('<aside class="alertbanner"') < start < page.index("<h1>")
    assert banner["data-alertname"] == "CephOSDDown"


def test_the_sections_before_the_first_instruction_fold_into_one_closed_line(alice, runbook):
    page = _opened_from_alert(alice)
    (fold,) = Elements(page).find("details", class_="background")
    assert "open" not in fold and "data-collapse-narrow" not in fold
    summary = page.index("<summary>Background: Meaning · Impact</summary>")
    end = page.index("</details>", summary)
    assert summary < page.index('id="meaning"') < page.index('id="impact"') < end
    assert summary < page.index("One or more OSDs are down.") < end  # the lead goes in too
    assert end < page.index('id="diagnosis"') < _first_step(page)


def test_without_an_alert_the_fold_is_open_and_closes_only_on_a_phone(alice, runbook):
    page = _page(alice, runbook.get_absolute_url())
    (fold,) = Elements(page).find("details", class_="background")
    assert "open" in fold and "data-collapse-narrow" in fold
    summary = page.index("<summary>Background: Meaning · Impact</summary>")
    assert page.index("One or more OSDs are down.") < summary  # the lead stays out of it


def test_the_folds_line_names_the_sections_as_text(alice, provider_a, make_runbook):
    body = "## When `<script>` & 1 < 2\n\nText.\n\n## Steps\n\n1. Do.\n"
    runbook = make_runbook(alice, title="Named", body=body, provider=provider_a)
    page = _page(alice, runbook.get_absolute_url() + FROM_ALERT)
    assert "<summary>Background: When &lt;script&gt; &amp; 1 &lt; 2</summary>" in page
    assert "<script>" not in page.split("<summary>Background")[1].split("</summary>")[0]


def test_a_post_mortem_opened_with_an_alert_keeps_its_layout(alice, provider_a):
    postmortem = documents.create_document(
        actor=alice,
        kind=Kind.POSTMORTEM,
        title="OSD outage",
        body="## Summary\n\nIt broke.\n\n## Timeline\n\n1. It broke.\n",
        provider=provider_a,
        incident_start=timezone.now() - timedelta(hours=3),
        incident_end=timezone.now() - timedelta(hours=1),
    )
    page = _page(alice, postmortem.get_absolute_url() + FROM_ALERT)
    assert "action-first" not in page and "jumpto" not in page and "background" not in page
    assert page.index('href="edit/"') < _first_step(page)


# --- Where the text is cut -----------------------------------------------------------------------

H2 = '<h2 id="{0}">{1}<a class="headerlink" href="#{0}" title="Link to this section">#</a></h2>\n'


def _html(*parts: str) -> str:
    return "".join(parts)


def test_the_cut_keeps_every_byte_and_names_the_folded_sections():
    comments = '<a class="sectioncomments no-print" href="#comments-impact">2 comments</a>'
    html = _html(
        "<p>Lead.</p>\n",
        H2.format("meaning", "Meaning &amp; scope"),
        "<p>Text.</p>\n",
        H2.format("impact", "Impact").replace("</a></h2>", f"</a>{comments}</h2>"),
        "<blockquote>\n",
        H2.format("quoted", "Quoted"),  # not a section of the page: inside a quote
        "</blockquote>\n",
        H2.format("diagnosis", "Diagnosis"),
        "<ol>\n<li>Step.</li>\n</ol>\n",
    )
    body = cut(html)
    assert body.lead + body.background + body.rest == html
    assert body.lead == "<p>Lead.</p>\n"
    assert body.names == ["Meaning & scope", "Impact"]
    assert body.rest.startswith('<h2 id="diagnosis">')


@pytest.mark.parametrize(
    "html",
    [
        "<p>Lead.</p><pre><code>run</code></pre>" + H2.format("a", "A") + H2.format("b", "B"),
        H2.format("a", "A") + "<ol><li>x</li></ol>" + H2.format("b", "B"),
        "<p>No instruction.</p>"
        + H2.format("a", "A")
        + H2.format("b", "B")
        + "<ul><li>x</li></ul>",
        "<p>Nothing at all.</p>",
    ],
    ids=["in the lead", "in the first section", "none", "no heading"],
)
def test_nothing_folds_when_the_instruction_is_already_first_or_missing(html):
    body = cut(html)
    assert (body.lead, body.background, body.names, body.rest) == (html, "", [], "")


def test_a_command_block_counts_as_an_instruction_like_a_step():
    html = _html(
        H2.format("meaning", "Meaning"),
        "<p>Text.</p>",
        H2.format("diagnosis", "Diagnosis"),
        '<pre><code class="language-bash">kubectl get pod</code></pre>',
        H2.format("mitigation", "Mitigation"),
        "<ol><li>Roll back.</li></ol>",
    )
    body = cut(html)
    assert body.names == ["Meaning"] and body.rest.startswith('<h2 id="diagnosis">')
