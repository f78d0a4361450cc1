"""The runbook page and its neighbours as a new user meets them at 3 am (issue 12): what can be
checked on the server. Layout, contrast and the client-side filling are checked in a browser
(puppeteer + axe-core); these tests pin the markup those rely on."""

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.conf import settings
from django.utils import timezone

from runbooks.actors import SYSTEM
from runbooks.models import Alert
from runbooks.services import routes
from tests.conftest import client_for

BODY = (
    "Intro line.\n\n## Diagnosis\n\n```bash\nkubectl -n $NAMESPACE get pod $POD\n```\n\n"
    "## Mitigation\n\nRestart `{{ $labels.pod }}`.\n"
)
SCRIPT = "<script>alert(1)</script>"


class Elements(HTMLParser):
    """Every start tag of a page as (tag, attributes)."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {name: value or "" for name, value in attrs}))

    def find(self, tag=None, **attrs) -> list[dict]:
        return [
            a
            for t, a in self.tags
            if (tag is None or t == tag)
            and all(a.get(k.rstrip("_").replace("_", "-")) == v for k, v in attrs.items())
        ]

    def with_attr(self, name: str) -> list[tuple[str, dict]]:
        return [(t, a) for t, a in self.tags if name in a]


def _get(user, url):
    response = client_for(user).get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


@pytest.fixture
def runbook(alice, provider_a, make_runbook):
    return make_runbook(alice, title="Pod crashlooping", body=BODY, provider=provider_a)


@pytest.fixture
def route(runbook):
    return routes.save_route(
        alertname="KubePodCrashLooping", runbook=runbook, provider=runbook.provider, actor=SYSTEM
    )


def _alert(provider, runbook, labels):
    now = timezone.now()
    return Alert.objects.create(
        provider=provider,
        source="alertmanager",
        fingerprint="fp-layout",
        alertname="KubePodCrashLooping",
        status="firing",
        labels=labels,
        annotations={},
        starts_at=now,
        last_seen=now,
        runbook=runbook,
    )


# --- The alert page's runbook link ------------------------------------------------------------


def test_the_alert_pages_runbook_link_carries_its_labels_like_an_r_redirect(
    alice, provider_a, runbook
):
    labels = {"alertname": "KubePodCrashLooping", "namespace": "tenant-7", "pod": SCRIPT}
    labels["note"] = 'a&b="c"'
    alert = _alert(provider_a, runbook, labels)
    page = _get(alice, f"/alerts/{alert.pk}/")
    assert SCRIPT not in page
    links = [a["href"] for a in Elements(page).find("a") if "?alert=" in a.get("href", "")]
    assert len(links) == 1
    url = urlsplit(links[0])
    assert url.path == runbook.get_absolute_url()
    assert parse_qsl(url.query) == [
        ("alert", "KubePodCrashLooping"),
        ("label.namespace", "tenant-7"),
        ("label.note", 'a&b="c"'),
        ("label.pod", SCRIPT),
    ]
    # In the HTML the query is escaped: & as &amp;, and nothing of the value is markup.
    assert "&amp;label.namespace=tenant-7" in page
    assert "label.pod=%3Cscript%3Ealert%281%29%3C%2Fscript%3E" in page


def test_the_link_opens_the_page_with_the_banner(alice, provider_a, runbook):
    alert = _alert(provider_a, runbook, {"namespace": "tenant-7"})
    page = _get(alice, f"/alerts/{alert.pk}/")
    href = next(a["href"] for a in Elements(page).find("a") if "?alert=" in a.get("href", ""))
    target = _get(alice, href)
    assert "Opened from alert <code>KubePodCrashLooping</code>" in target
    assert 'namespace="tenant-7"' in target


def test_the_link_keeps_at_most_64_labels_and_leaves_out_values_r_would_refuse(
    alice, provider_a, runbook
):
    labels = {f"l{i:03}": "v" for i in range(80)}
    labels["aaa"] = "x" * 1025
    alert = _alert(provider_a, runbook, labels)
    page = _get(alice, f"/alerts/{alert.pk}/")
    href = next(a["href"] for a in Elements(page).find("a") if "?alert=" in a.get("href", ""))
    query = parse_qsl(urlsplit(href).query)
    assert len(query) == 1 + 64
    assert ("label.aaa", "x" * 1025) not in query
    assert query[1] == ("label.l000", "v")


def test_a_runbook_the_reader_may_not_open_is_not_linked(carol, provider_a, alice, make_runbook):
    from runbooks.choices import Visibility

    private = make_runbook(alice, provider=provider_a, visibility=Visibility.PROVIDER)
    alert = _alert(provider_a, private, {"namespace": "x"})
    page = _get(carol, f"/alerts/{alert.pk}/")
    assert "linked to a runbook you may not open" in page
    assert private.get_absolute_url() not in page


# --- The banner and the page the alert opens -------------------------------------------------


def test_the_banner_lists_the_labels_and_keeps_the_note_hidden_until_something_is_filled(
    route, runbook
):
    query = {"namespace": "demo", "pod": SCRIPT, "provider": "provider-a"}
    redirect = client_for(None).get("/r/KubePodCrashLooping", query)
    assert redirect.status_code == 302
    page = _get(None, redirect["Location"])
    elements = Elements(page)
    (banner,) = elements.find("aside", class_="alertbanner")
    assert banner["data-alertname"] == "KubePodCrashLooping"
    assert elements.find("ul", class_="alertlabels")
    assert '<li><code class="label">namespace="demo"</code></li>' in page
    assert SCRIPT not in page
    (note,) = elements.find("p", class_="placeholders")
    assert "hidden" in note and "data-placeholder-note" in note
    assert elements.find("button", data_toggle_placeholders="")
    assert '<script id="alert-labels" type="application/json">' in page
    # The runbook body is marked for the filler, and the contents close on a phone.
    assert elements.find("div", class_="markdown", data_fill_placeholders="")
    assert elements.find("details", data_collapse_narrow="")


def test_without_an_alert_there_is_no_banner(runbook):
    page = _get(None, runbook.get_absolute_url())
    assert "alertbanner" not in page and "alert-labels" not in page


def test_one_live_region_announces_what_buttons_did(runbook):
    page = _get(None, runbook.get_absolute_url())
    (region,) = Elements(page).find(data_announce="")
    assert region["role"] == "status" and region["aria-live"] == "polite"


def test_heading_permalinks_get_a_name(runbook):
    """The stored HTML names each permalink "#" with a title; app.js gives each the name of
    its heading (aria-label), which also covers revisions rendered before this change."""
    page = _get(None, runbook.get_absolute_url())
    links = Elements(page).find("a", class_="headerlink")
    assert [a["href"] for a in links] == ["#diagnosis", "#mitigation"]
    assert all(a["title"] == "Link to this section" for a in links)
    script = (Path(settings.BASE_DIR) / "runbooks/static/runbooks/app.js").read_text()
    assert 'querySelectorAll("a.headerlink")' in script
    assert 'link.setAttribute("aria-label"' in script


# --- Tables that stack on a phone keep their labels ------------------------------------------


def test_the_routes_table_labels_its_cells_for_the_stacked_layout(alice, route, runbook):
    page = _get(alice, runbook.get_absolute_url())
    labels = [a["data-label"] for _, a in Elements(page).with_attr("data-label")]
    assert {"labels:", "for", "priority"} <= set(labels)


def test_the_history_table_labels_its_cells_for_the_stacked_layout(alice, runbook):
    page = _get(alice, f"{runbook.get_absolute_url()}history/")
    labels = {a["data-label"] for _, a in Elements(page).with_attr("data-label")}
    assert {"from", "to", "revision"} <= labels
    assert Elements(page).find("td", class_="what")


def test_the_tokens_table_labels_its_cells_for_the_stacked_layout(alice):
    client = client_for(alice)
    response = client.post("/account/tokens/", {"name": "ci", "scopes": ["read"]})
    assert response.status_code == 200
    elements = Elements(response.content.decode())
    assert elements.find("table", class_="revtable stacktable")
    labels = {a["data-label"] for _, a in elements.with_attr("data-label")}
    assert {"provider", "created", "last used"} <= labels


# --- Forms: every hint a field points at exists ----------------------------------------------


def _described_by_exists(page):
    elements = Elements(page)
    ids = {a["id"] for _, a in elements.with_attr("id")}
    refs = [
        ref
        for _, a in elements.with_attr("aria-describedby")
        for ref in a["aria-describedby"].split()
    ]
    assert refs, "the form has hints"
    assert [ref for ref in refs if ref not in ids] == []
    return refs


@pytest.mark.parametrize("url", ["/runbooks/new/", "/account/tokens/"])
def test_hints_of_the_new_runbook_and_token_forms_are_referenced_by_id(alice, url):
    refs = _described_by_exists(_get(alice, url))
    assert all(ref.endswith(("_helptext", "_error")) for ref in refs)


def test_hints_of_the_edit_form_are_referenced_by_id(alice, runbook):
    refs = _described_by_exists(_get(alice, f"{runbook.get_absolute_url()}edit/"))
    assert "id_body_helptext" in refs


def test_the_scopes_fieldset_of_the_token_form_points_at_its_hint(alice):
    page = _get(alice, "/account/tokens/")
    (fieldset,) = Elements(page).find("fieldset")
    assert fieldset["aria-describedby"] == "id_scopes_helptext"
    assert 'id="id_scopes_helptext"' in page


def test_hints_of_the_route_form_are_referenced_by_id(alice, runbook):
    page = _get(alice, runbook.get_absolute_url())
    assert "Add an alert route" in page
    assert "id_matchers_helptext" in _described_by_exists(page)


def test_form_errors_are_referenced_too(alice, runbook):
    response = client_for(alice).post("/account/tokens/", {"name": "", "scopes": []})
    _described_by_exists(response.content.decode())


# --- Landmarks ---------------------------------------------------------------------------------


def test_the_search_page_has_no_unnamed_or_twice_named_search_landmark(alice, runbook):
    page = _get(alice, "/search/?q=crash")
    searches = Elements(page).find(role="search")
    assert len(searches) == 2
    names = [a.get("aria-label") or a.get("aria-labelledby") for a in searches]
    assert all(names) and len(set(names)) == len(names)


# --- The project's rules for the front end -----------------------------------------------------

TEMPLATES = sorted((Path(settings.BASE_DIR) / "templates").rglob("*.html"))
INLINE_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.name))
def test_templates_hold_no_inline_script_or_handler(template):
    text = template.read_text()
    assert not INLINE_HANDLER.search(text)
    assert not INLINE_SCRIPT.search(text)
    assert "javascript:" not in text.lower()


def test_the_page_scripts_fill_with_text_only():
    script = (Path(settings.BASE_DIR) / "runbooks/static/runbooks/app.js").read_text()
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script
    assert "document.write" not in script
