"""The alert pages (DESIGN §3, §8) persona by persona, and a runbook's firing history."""

import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from runbooks import charts
from runbooks.actors import SYSTEM
from runbooks.choices import Visibility
from runbooks.models import Alert, AlertEvent, InboxEntry, RunbookMiss
from runbooks.services import routes
from runbooks.views.alerts import web_url
from tests.conftest import client_for

SCRIPT = "<script>alert(1)</script>"


def make_alert(provider, name="CephOSDDown", n=0, **fields):
    now = timezone.now()
    values = {
        "provider": provider,
        "source": "alertmanager",
        "fingerprint": f"fp-{provider.slug}-{name}-{n}",
        "alertname": name,
        "status": "firing",
        "labels": {"alertname": name, "instance": f"{provider.slug}-node-{n}"},
        "annotations": {"summary": f"{name} on node {n}"},
        "starts_at": now - timedelta(hours=n),
        "last_seen": now - timedelta(minutes=n),
        **fields,
    }
    return Alert.objects.create(**values)


def add_event(alert, status="firing", minutes_ago=0):
    entry = InboxEntry.objects.create(provider=alert.provider, source=alert.source, body=b"{}")
    when = timezone.now() - timedelta(minutes=minutes_ago)
    return AlertEvent.objects.create(
        alert=alert, inbox_entry=entry, status=status, received_at=when
    )


@pytest.fixture
def a_alert(provider_a):
    return make_alert(provider_a, "NodeOfProviderADown")


@pytest.fixture
def b_alert(provider_b):
    return make_alert(provider_b, "NodeOfProviderBDown")


def _page(user, url):
    response = client_for(user).get(url)
    return response, response.content.decode()


# --- Who sees what ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "persona,expected", [("alice", 200), ("dave", 200), ("carol", 200), ("bob", 404)]
)
def test_an_alert_is_seen_by_its_provider_and_staff_only(personas, a_alert, persona, expected):
    response, page = _page(personas[persona], f"/alerts/{a_alert.pk}/")
    assert response.status_code == expected
    assert ("NodeOfProviderADown" in page) == (expected == 200)


def test_someone_elses_alert_answers_exactly_like_a_missing_one(bob, a_alert):
    hidden, _ = _page(bob, f"/alerts/{a_alert.pk}/")
    missing, _ = _page(bob, f"/alerts/{a_alert.pk + 1000}/")
    assert hidden.status_code == missing.status_code == 404
    assert _without_csrf(hidden) == _without_csrf(missing).replace(
        str(a_alert.pk + 1000), str(a_alert.pk)
    )


def _without_csrf(response) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())


@pytest.mark.parametrize("url", ["/alerts/", "/alerts/1/", "/alerts/missing/"])
def test_anonymous_visitors_are_sent_to_sign_in(db, url):
    response = client_for(None).get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_list_shows_each_reader_their_providers_alerts(personas, a_alert, b_alert):
    expectations = {
        "alice": (True, False),
        "dave": (True, False),
        "bob": (False, True),
        "carol": (True, True),
    }
    for persona, (sees_a, sees_b) in expectations.items():
        response, page = _page(personas[persona], "/alerts/")
        assert response.status_code == 200
        assert ("NodeOfProviderADown" in page) == sees_a, persona
        assert ("NodeOfProviderBDown" in page) == sees_b, persona


def test_the_list_row_says_what_an_operator_needs(alice, a_alert, provider_a, make_runbook):
    runbook = make_runbook(alice, title="OSD down", provider=provider_a)
    make_alert(provider_a, "CephOSDDown", n=1, runbook=runbook, status="resolved")
    _, page = _page(alice, "/alerts/")
    assert f'href="/alerts/{a_alert.pk}/"' in page
    assert "Provider A" in page
    assert "alertstatus firing" in page and "alertstatus resolved" in page
    assert f'href="{runbook.get_absolute_url()}">OSD down</a>' in page
    assert "no runbook" in page


def test_the_list_filters_by_status_name_and_runbook(alice, provider_a, make_runbook):
    runbook = make_runbook(alice, title="OSD down", provider=provider_a)
    make_alert(provider_a, "CephOSDDown", n=1, runbook=runbook)
    make_alert(provider_a, "DiskFull", n=2, status="resolved")
    client = client_for(alice)

    def names(query):
        page = client.get(f"/alerts/?{query}").content.decode()
        return {name for name in ("CephOSDDown", "DiskFull") if f"<code>{name}</code>" in page}

    assert names("") == {"CephOSDDown", "DiskFull"}
    assert names("status=resolved") == {"DiskFull"}
    assert names("status=firing") == {"CephOSDDown"}
    assert names("status=bogus") == {"CephOSDDown", "DiskFull"}  # unknown values are ignored
    assert names("alertname=cephosddown") == {"CephOSDDown"}
    assert names("alertname=Ceph") == set()  # the name matches whole, not in part
    assert names(f"runbook={runbook.slug}") == {"CephOSDDown"}
    assert names("runbook=no-such-runbook") == set()


def test_staff_see_the_alert_but_not_the_title_of_a_private_runbook(
    alice, carol, provider_a, make_runbook
):
    private = make_runbook(
        alice, title="PRIVATE osd runbook", provider=provider_a, visibility=Visibility.PROVIDER
    )
    alert = make_alert(provider_a, "CephOSDDown", runbook=private)
    for url in ("/alerts/", f"/alerts/{alert.pk}/", f"/alerts/?runbook={private.slug}"):
        _, page = _page(carol, url)
        echoed = f'name="runbook" value="{private.slug}"'  # the filter form, as typed
        assert "PRIVATE osd runbook" not in page
        assert private.slug not in page.replace(echoed, "").replace(url, "")
    _, listed = _page(carol, f"/alerts/?runbook={private.slug}")
    assert "CephOSDDown</code></a>" not in listed  # the filter does not confirm it exists
    _, page = _page(alice, f"/alerts/{alert.pk}/")
    assert "PRIVATE osd runbook" in page


# --- One alert ---------------------------------------------------------------------------------


def test_labels_and_annotations_are_escaped(alice, provider_a):
    alert = make_alert(
        provider_a,
        f"Evil{SCRIPT}",
        labels={"alertname": f"Evil{SCRIPT}", "pod": SCRIPT},
        annotations={"description": SCRIPT, SCRIPT: "key too"},
    )
    for url in (f"/alerts/{alert.pk}/", "/alerts/"):
        _, page = _page(alice, url)
        assert SCRIPT not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_links_back_to_the_sender_are_http_only(alice, provider_a):
    alert = make_alert(
        provider_a,
        "Grafana",
        source="grafana",
        generator_url="https://grafana.a.example/alerting/grafana/x/view",
        extra={
            "silenceURL": "https://grafana.a.example/alerting/silence/new?x=1&y=2",
            "dashboardURL": "javascript:alert(1)",
            "panelURL": "java\tscript:alert(2)",
            "values": {"A": 97.5},
        },
    )
    _, page = _page(alice, f"/alerts/{alert.pk}/")
    assert 'href="https://grafana.a.example/alerting/grafana/x/view"' in page
    assert 'href="https://grafana.a.example/alerting/silence/new?x=1&amp;y=2"' in page
    assert "javascript:" not in page and "script:alert(2)" not in page
    assert "A=97.5" in page


def test_a_javascript_generator_url_is_shown_but_not_linked(alice, provider_a):
    alert = make_alert(provider_a, generator_url="javascript:alert(document.cookie)")
    _, page = _page(alice, f"/alerts/{alert.pk}/")
    assert 'href="javascript:' not in page
    assert "<code>javascript:alert(document.cookie)</code>" in page


@pytest.mark.parametrize(
    "value,safe",
    [
        ("https://prometheus.example/graph?g0.expr=up", True),
        ("http://10.0.0.1:9090/graph", True),
        ("HTTPS://grafana.example/d/abc", True),
        ("javascript:alert(1)", False),
        (" javascript:alert(1)", False),
        ("java\tscript:alert(1)", False),
        ("https://ok.example/\nfoo", False),
        ("data:text/html,<script>", False),
        ("//evil.example/x", False),
        ("/relative/path", False),
        ("https:///no-host", False),
        ("", False),
        (None, False),
        (42, False),
    ],
)
def test_web_url_accepts_only_plain_http_links(value, safe):
    assert web_url(value) == (value if safe else None)


def test_the_detail_page_shows_the_timeline_and_its_runbook(alice, provider_a, make_runbook):
    runbook = make_runbook(alice, title="OSD down", provider=provider_a)
    alert = make_alert(provider_a, "CephOSDDown", runbook=runbook, notifications=2)
    add_event(alert, "firing", minutes_ago=30)
    add_event(alert, "resolved", minutes_ago=5)
    _, page = _page(alice, f"/alerts/{alert.pk}/")
    timeline = page.split('class="timeline"')[1]
    assert timeline.index("firing") < timeline.index("resolved")  # oldest first
    # with the alert's context, like an /r/ redirect, so the runbook fills its placeholders
    link = f"{runbook.get_absolute_url()}?alert=CephOSDDown&amp;label.instance=provider-a-node-0"
    assert f'href="{link}">OSD down</a>' in page
    assert "/runbooks/new/" not in page
    assert "<code>instance</code>" in page and "provider-a-node-0" in page


def test_an_alert_without_runbook_offers_to_write_one(alice, dave, provider_a):
    alert = make_alert(provider_a, "Weird Name&Co")
    _, page = _page(alice, f"/alerts/{alert.pk}/")
    assert 'href="/runbooks/new/?title=Weird+Name%26Co&amp;alertname=Weird+Name%26Co"' in page
    _, page = _page(dave, f"/alerts/{alert.pk}/")  # a reader cannot write one (issue 12)
    assert "/runbooks/new/" not in page


def test_the_detail_page_costs_the_same_with_a_long_timeline(alice, provider_a):
    alert = make_alert(provider_a)
    add_event(alert)
    few = _queries(alice, f"/alerts/{alert.pk}/")
    for minutes in range(1, 150):
        add_event(alert, minutes_ago=minutes)
    assert _queries(alice, f"/alerts/{alert.pk}/") == few


# --- Missing runbooks ------------------------------------------------------------------------


@pytest.fixture
def misses(provider_a, provider_b):
    routes.record_miss("RabbitMQQueueGrowing", provider_a, times=3)
    routes.record_miss("RabbitMQQueueGrowing", provider_b, times=2)
    routes.record_miss("rabbitmqqueuegrowing", None, times=1)  # a /r/ miss, no provider
    routes.record_miss("NTPClockSkew", provider_b, times=1)


def _numbers(page: str, name: str) -> list[str]:
    """The numeric cells of the missing-runbooks row for `name`."""
    row = page.split(f"<code>{name}</code>")[1].split("</tr>")[0]
    return re.findall(r'<td class="num[^"]*"[^>]*>(\d+)</td>', row)


def test_missing_runbooks_show_names_counts_and_provider_numbers_only(personas, misses, a_alert):
    for persona in ("alice", "bob", "dave", "carol"):
        response, page = _page(personas[persona], "/alerts/missing/")
        assert response.status_code == 200
        assert _numbers(page, "RabbitMQQueueGrowing") == ["6", "2"], persona  # 3+2+1, 2 known
        link = 'href="/runbooks/new/?title=RabbitMQQueueGrowing&amp;alertname=RabbitMQQueueGrowing"'
        assert (link in page) == (persona != "dave"), persona  # readers cannot write (issue 12)
        assert "<code>NTPClockSkew</code>" in page
        main = page.split('id="main"')[1]
        for secret in ("Provider A", "Provider B", "provider-a", "provider-b", "node-0"):
            assert secret not in main, (persona, secret)
    assert page.index("RabbitMQQueueGrowing") < page.index("NTPClockSkew")  # most often first


def test_a_name_leaves_the_list_where_a_route_now_applies(
    alice, bob, provider_a, misses, make_runbook
):
    scoped = make_runbook(alice, title="RabbitMQ queues", provider=provider_a)
    routes.save_route(
        alertname="RabbitMQQueueGrowing", runbook=scoped, provider=provider_a, actor=SYSTEM
    )
    _, page = _page(bob, "/alerts/missing/")
    assert _numbers(page, "RabbitMQQueueGrowing") == ["3", "1"]  # B's 2 + 1 from /r/, at B

    community = make_runbook(alice, title="RabbitMQ queues for all")
    routes.save_route(alertname="rabbitmqqueuegrowing", runbook=community, actor=SYSTEM)
    _, page = _page(bob, "/alerts/missing/")
    assert "RabbitMQQueueGrowing" not in page and "<code>NTPClockSkew</code>" in page


def test_staff_see_failed_bodies_without_their_content(alice, carol, provider_a):
    InboxEntry.objects.create(
        provider=provider_a,
        source="alertmanager",
        body=b'{"alerts": "BODY-SECRET"}',
        attempts=3,
        error="PayloadError: <b>bad</b>",
        failed_at=timezone.now(),
    )
    _, staff_page = _page(carol, "/alerts/missing/")
    assert "PayloadError: &lt;b&gt;bad&lt;/b&gt;" in staff_page
    assert "BODY-SECRET" not in staff_page
    _, page = _page(alice, "/alerts/missing/")
    assert "PayloadError" not in page and "could not be processed" not in page


def test_the_missing_list_costs_the_same_with_more_names(alice, provider_a, provider_b):
    routes.record_miss("OneAlert", provider_a)
    few = _queries(alice, "/alerts/missing/")
    for n in range(60):
        routes.record_miss(f"Alert{n}", provider_a if n % 2 else provider_b, times=n + 1)
    assert _queries(alice, "/alerts/missing/") == few


# --- Query counts and the nav ----------------------------------------------------------------


def _queries(user, url) -> int:
    client = client_for(user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_alert_list_costs_the_same_with_1_or_30_alerts(alice, carol, provider_a, make_runbook):
    runbook = make_runbook(alice, title="OSD down", provider=provider_a)
    make_alert(provider_a, n=0, runbook=runbook)
    one = {user: _queries(user, "/alerts/") for user in (alice, carol)}
    for n in range(1, 30):
        make_alert(provider_a, n=n, runbook=runbook if n % 2 else None)
    thirty = {user: _queries(user, "/alerts/") for user in (alice, carol)}
    assert one == thirty
    # session, user, memberships, count, page (with provider and runbook joined), the header's
    # unread notifications
    assert one[alice] == 6


def test_signed_in_users_get_alerts_in_the_nav(alice):
    assert 'href="/alerts/">Alerts</a>' in client_for(alice).get("/").content.decode()
    assert 'href="/alerts/"' not in client_for(None).get("/").content.decode()


# --- Firing history on the runbook page ------------------------------------------------------


def test_daily_counts_fill_every_day_of_the_window():
    today = date(2025, 3, 10)
    rows = [(today, 2), (today - timedelta(days=3), 5), (today - timedelta(days=3), 1)]
    rows += [(today - timedelta(days=30), 9), (today + timedelta(days=1), 9)]  # outside
    days = charts.daily_counts(rows, today)
    assert len(days) == 30
    assert days[0].day == date(2025, 2, 9) and days[-1].day == today
    assert [d.day for d in days] == sorted({d.day for d in days})
    assert days[-1].count == 2 and days[-4].count == 6
    assert sum(d.count for d in days) == 8
    assert sum(1 for d in days if d.count == 0) == 28


def test_daily_counts_of_nothing_are_thirty_empty_days():
    days = charts.daily_counts([], date(2025, 1, 1))
    assert [d.count for d in days] == [0] * 30


def test_the_bar_chart_scales_to_the_busiest_day():
    today = date(2025, 3, 10)
    days = charts.daily_counts([(today, 10), (today - timedelta(days=1), 5)], today)
    chart = charts.bar_chart(days, width=300, height=60)
    assert chart.peak == 10 and len(chart.bars) == 30
    last, before, empty = chart.bars[-1], chart.bars[-2], chart.bars[0]
    assert (last.y, last.height) == (0, 60)
    assert (before.y, before.height) == (30, 30)
    assert empty.count == 0 and empty.height == charts.EMPTY_BAR and empty.y == 59
    assert all(b.width == 8 for b in chart.bars)  # 10 units per day, 2 between bars
    assert last.x + last.width <= 300 and empty.x >= 0
    tiny = charts.bar_chart(charts.daily_counts([(today, 1000), (date(2025, 3, 1), 1)], today))
    assert min(b.height for b in tiny.bars if b.count) == charts.MIN_BAR


def test_firing_history_counts_alerts_per_day_and_providers(
    alice, provider_a, provider_b, make_runbook
):
    runbook = make_runbook(alice, title="Node down")
    other = make_runbook(alice, title="Other")
    now = timezone.now()
    for n, (provider, days_ago) in enumerate(
        [(provider_a, 0), (provider_a, 0), (provider_b, 3), (provider_b, 45)]
    ):
        make_alert(provider, n=n, runbook=runbook, starts_at=now - timedelta(days=days_ago))
    make_alert(provider_a, n=9, runbook=other)
    history = charts.firing_history(runbook)
    assert history.total == 3 and history.providers == 2
    assert history.days[-1].count == 2 and history.days[-4].count == 1
    assert abs(history.last_fired - now) < timedelta(seconds=5)
    quiet = charts.firing_history(make_runbook(alice, title="Quiet"))
    assert (quiet.total, quiet.providers, quiet.last_fired) == (0, 0, None)


def test_the_runbook_page_shows_the_firing_chart_without_names(
    alice, bob, dave, provider_a, provider_b, make_runbook
):
    runbook = make_runbook(alice, title="Node down")  # a community runbook
    make_alert(provider_a, n=1, runbook=runbook)
    make_alert(
        provider_b,
        n=2,
        runbook=runbook,
        labels={"alertname": "CephOSDDown", "instance": "b-secret-host"},
        starts_at=timezone.now() - timedelta(days=2),
    )
    for reader in (alice, bob, dave):
        _, page = _page(reader, runbook.get_absolute_url())
        firing = page.split('id="firing"')[1].split("</section>")[0]
        assert "<strong>2</strong> alerts at <strong>2</strong> providers" in firing
        assert firing.count('<rect class="bar"') == 2
        assert firing.count('<rect class="nobar"') == 28
        assert 'href="#firing">Fired 2 times in 30 days</a>' in page
        assert "b-secret-host" not in page and "a-node-1" not in page
    _, page = _page(dave, runbook.get_absolute_url())
    assert "Provider B" not in page
    _, page = _page(None, runbook.get_absolute_url())
    assert 'id="firing"' not in page and "Fired" not in page  # alert data is for signed-in users


def test_a_quiet_runbook_says_so(alice, make_runbook):
    runbook = make_runbook(alice, title="Node down")
    _, page = _page(alice, runbook.get_absolute_url())
    assert "did not fire in the last 30 days" in page
    assert "<svg" not in page.split('id="firing"')[1].split("</section>")[0]


def test_misses_are_one_row_per_name_and_provider(provider_a, misses):
    assert RunbookMiss.objects.filter(alertname_key="rabbitmqqueuegrowing").count() == 3
