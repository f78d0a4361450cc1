"""Search is bounded like rendering (issue 29, finding 1): an anonymous search over text any
reader may plant held a worker for 23 s, and past gunicorn's 30 s timeout with a large runbook.

Per document, the work is bounded by structure: the query's repeated words count once and its
phrases are capped, the indexed text is a bounded prefix, and a snippet is marked in a short
window. As a whole, a search has a time budget (OPENOPS_SEARCH_TIMEOUT): a progress handler
on SQLite, statement_timeout on PostgreSQL; past it, pages and the API answer "too broad".
The budget is tested with a tiny budget or a statement that is slow on purpose, never by
timing an input."""

import re

import pytest
from django.core.management import call_command
from django.db import OperationalError, connection

from runbooks import search
from runbooks.models import SearchEntry
from runbooks.search import entries, terms
from runbooks.search.terms import parse
from runbooks.services import comments
from tests.conftest import client_for

PLANTED = "qv qw " * 3333  # 19,998 characters: one comment, at most 20,000
ATTACK = "qv qw qv qw"
# Counting to a billion: minutes of work in one statement, unless something stops it.
SLOW_SQL = {
    "sqlite": "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 1000000000)"
    " SELECT count(*) FROM c",
    "postgresql": "SELECT pg_sleep(120)",
}
MANY_STEPS = (
    "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 100000) "
    "SELECT count(*) FROM c"
)


@pytest.fixture
def planted(alice, dave, make_runbook):
    """A public runbook carrying what any reader may write: three comments of `qv qw`."""
    runbook = make_runbook(alice, title="Ordinary runbook", body="Restart the service.\n")
    for _ in range(3):
        comments.add_comment(runbook, actor=dave, body=PLANTED)
    return runbook


def test_the_querys_repeated_words_count_once_and_its_phrases_are_capped():
    assert parse(ATTACK).alternatives == [["qv", "qw"]]
    assert parse("a b a b").alternatives == [["a", "b"]]
    assert parse("qv or qv or QV or qw qv or qv qw").alternatives == [["qv"], ["qw", "qv"]]
    assert parse("ceph -osd -osd").excluded == ["osd"]
    many = parse(" ".join(f"w{n}" for n in range(40)) + " -x -y")
    assert sum(map(len, many.alternatives)) + len(many.excluded) == terms.MAX_TERMS <= 12
    long_phrase = parse('"' + "a b " * 50 + '"').alternatives[0][0]
    assert len(long_phrase.split()) == terms.MAX_PHRASE_WORDS


def test_planted_comments_are_found_with_a_snippet_from_a_bounded_window(planted):
    from runbooks.search import snippets

    text = SearchEntry.objects.get(pk=planted.pk).text
    assert text.count("qv") >= 9999 and len(text) <= entries.MAX_TEXT
    shown = snippets.window(text, parse(ATTACK))
    assert len(shown) <= snippets.WINDOW + 4  # and the ellipsis
    response = client_for(None).get("/api/v1/search/", {"q": ATTACK})
    assert response.status_code == 200, response.content[:300]
    (hit,) = response.json()["results"]
    assert hit["title"] == "Ordinary runbook"
    plain = re.sub(r"</?mark>", "", hit["snippet"])
    assert len(plain) <= snippets.WINDOW + 4 and "<mark>qv</mark> <mark>qw</mark>" in hit["snippet"]
    page = client_for(None).get("/search/", {"q": ATTACK})
    assert page.status_code == 200 and "<mark>qv</mark>" in page.content.decode()


def test_the_snippet_window_holds_the_first_match_and_other_forms_of_its_words():
    from runbooks.search import snippets

    text = "Intro. " * 500 + "Then the OSD restarted, twice. " + "Tail. " * 500
    shown = snippets.window(text, parse("restarting osd"))
    assert "OSD restarted" in shown and shown.startswith("…") and shown.endswith("…")
    assert len(shown) <= snippets.WINDOW + 4
    assert snippets.window("short text", parse("absent")) == "short text"


def test_a_large_runbook_is_indexed_and_ranked_as_a_bounded_prefix(alice, make_runbook):
    # As the autolinks `http://a.b/N` of the report, in words both databases split alike.
    body = " ".join(f"qx qy {n}" for n in range(20_000)) + "\n"  # about 200,000 characters
    runbook = make_runbook(alice, title="Links", body=body)
    assert len(SearchEntry.objects.get(pk=runbook.pk).text) == entries.MAX_TEXT
    hit = client_for(None).get("/api/v1/search/", {"q": "qx qy qx qy"}).json()["results"][0]
    assert hit["title"] == "Links" and "<mark>qx</mark> <mark>qy</mark>" in hit["snippet"]
    # An entry written before the cap (or by hand) is cut to it again by the command.
    SearchEntry.objects.filter(pk=runbook.pk).update(text=body * 2)
    call_command("rebuild_search_index")
    assert len(SearchEntry.objects.get(pk=runbook.pk).text) == entries.MAX_TEXT


def test_past_the_budget_pages_and_the_api_answer_too_broad(settings, alice, planted):
    settings.OPENOPS_SEARCH_TIMEOUT = 0  # every search is over budget before it starts
    page = client_for(None).get("/search/", {"q": "restart"})
    assert page.status_code == 503
    assert "too much to answer" in page.content.decode()
    assert 'name="q" value="restart"' in page.content.decode()  # the form, to narrow it
    api = client_for(None).get("/api/v1/search/", {"q": "restart"})
    assert api.status_code == 503 and api["Retry-After"]
    assert api.json()["detail"].startswith("This search matches too much")
    suggest = client_for(alice).get("/api/v1/search/suggest/", {"q": "ordinary"})
    assert suggest.status_code == 503 and "too much" in suggest.json()["detail"]
    # The page that names a missing alert offers no related runbooks, and still answers.
    missing = client_for(alice).get("/r/OrdinaryServiceDown")
    assert missing.status_code == 404 and b"OrdinaryServiceDown" in missing.content


def test_within_the_budget_the_same_searches_answer(settings, alice, planted):
    settings.OPENOPS_SEARCH_TIMEOUT = 30
    assert client_for(None).get("/search/", {"q": "restart"}).status_code == 200
    assert client_for(alice).get("/api/v1/search/suggest/", {"q": "ordinary"}).json()


def test_a_slow_statement_is_stopped_inside_the_search_and_the_limit_removed(settings, db):
    """The database stops a statement that is slow on purpose once the budget is spent: the
    progress handler (SQLite) or statement_timeout (PostgreSQL), not the clock between
    statements; afterwards the connection runs long statements as before."""
    from runbooks.search import budget

    settings.OPENOPS_SEARCH_TIMEOUT = 1
    with (
        pytest.raises(search.TooBroad) as refused,
        budget.limited(),
        connection.cursor() as cursor,
    ):
        cursor.execute(SLOW_SQL[connection.vendor])
    assert isinstance(refused.value.__cause__, OperationalError)
    with connection.cursor() as cursor:
        cursor.execute(MANY_STEPS)  # past the old deadline, thousands of steps
        assert cursor.fetchone() == (100000,)
        if connection.vendor == "postgresql":
            cursor.execute("SHOW statement_timeout")
            assert cursor.fetchone() == ("0",)


def test_after_a_search_the_connection_has_no_budget_left_behind(settings, alice, planted):
    settings.OPENOPS_SEARCH_TIMEOUT = 30
    assert search.find(alice, "restart").total == 1
    with connection.cursor() as cursor:
        cursor.execute(MANY_STEPS)
        assert cursor.fetchone() == (100000,)
        if connection.vendor == "postgresql":
            cursor.execute("SHOW statement_timeout")
            assert cursor.fetchone() == ("0",)
