"""Placeholders that meet real labels (issue 31): the demo's flagship runbooks filled from their
alerts, each recognised form, the note naming what stays unfilled, hostile label values, and
the placeholder → label mapping in the form, the API and front matter."""

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from runbooks import links, placeholders
from runbooks.actors import SYSTEM
from runbooks.choices import Kind
from runbooks.demo import _seed_people, _seed_runbook
from runbooks.demo.alerts import SCHEDULE, _seed_routes
from runbooks.demo.content import RUNBOOKS
from runbooks.models import Runbook, Scope
from runbooks.services import documents, routes, tokens
from tests.api import ApiClient, validate
from tests.conftest import client_for

CODE = re.compile(r"<code\b[^>]*>(.*?)</code>", re.DOTALL)


def demo_alert_link(name: str, provider: str, n: int = 7) -> str:
    """The /r/ link of a demo alert as the alert list opens it: its name, provider, labels."""
    labels = next(labels for alert, _, _, _, labels in SCHEDULE if alert == name)
    filled = {key: value.format(n=n) for key, value in labels.items()}
    return links.alert_url(name, provider=provider, labels=filled)


def text_of(page: str) -> str:
    """The runbook's text as the page shows it."""
    return page.split("data-fill-placeholders>", 1)[1].split("</article>", 1)[0]


def codes(page: str) -> str:
    """The code of the runbook's text, values as shown (tags dropped)."""
    return "\n".join(re.sub(r"<[^>]+>", "", code) for code in CODE.findall(text_of(page)))


def note(page: str) -> str:
    match = re.search(r'<div class="unfilled".*?</div>', page, re.DOTALL)
    return match[0] if match else ""


# --- The demo's flagship alerts ----------------------------------------------------------------


@pytest.fixture
def demo(db):
    """The demo's people, and its Ceph OSD and OVN runbooks with their routes, seeded by the
    demo's own code (the month of alerts is left out)."""
    users = _seed_people("demo-password")
    for spec in RUNBOOKS:
        if spec["slug"] in ("ceph-osd-down", "neutron-ovn-controller-down"):
            _seed_runbook(spec, users)
            _seed_routes(spec)
    return users


def test_ceph_osd_down_from_its_demo_alert_shows_the_alerts_values(demo):
    response = client_for(demo["alice"]).get(
        demo_alert_link("CephOSDDown", "nordwolke"), follow=True
    )
    page = response.content.decode()
    assert response.redirect_chain and "Opened from alert" in page
    commands = codes(page)
    assert "ceph osd find osd.7" in commands
    assert "ceph orch ps --daemon-type osd --hostname stor07" in commands
    assert "ceph osd set-group noout stor07" in commands
    assert "OSD=osd.7" in commands and "ceph osd safe-to-destroy osd.7" in commands
    assert "$OSD" not in commands.replace("${OSD#osd.}", "") and "$HOST" not in commands
    # The disk is the one thing the alert cannot know: named, under the labels in the banner.
    shown = note(page)
    assert "<code>$DEVICE</code>" in shown and "$OSD" not in shown and "$HOST" not in shown
    assert "from the labels above" in shown


def test_ovn_controller_down_from_its_demo_alert_shows_the_alerts_host(demo):
    response = client_for(demo["alice"]).get(
        demo_alert_link("OVNControllerDown", "nordwolke"), follow=True
    )
    page = response.content.decode()
    commands = codes(page)
    assert "openstack network agent list --host net07" in commands
    assert "openstack port list --host net07 --status DOWN" in commands
    assert "$labels" not in commands and "{{" not in commands
    assert "{{ $labels" not in note(page)


def test_the_demo_runbooks_placeholders_are_all_named_by_their_alerts_or_said_to_be_unknown():
    """Every `$X` of the Ceph OSD runbook is one its alert fills, or `$DEVICE` (the text says
    where to find it)."""
    spec = next(s for s in RUNBOOKS if s["slug"] == "ceph-osd-down")
    body = spec["revisions"][-1]["body"]
    mapping = spec["placeholder_labels"]
    alert = next(labels for name, _, _, _, labels in SCHEDULE if name == "CephOSDDown")
    used = set(re.findall(r"\$\{?([A-Z][A-Z0-9_]*)", body))
    assert used == {"OSD", "HOST", "DEVICE"}
    assert {mapping[name] for name in ("OSD", "HOST")} <= alert.keys()


# --- Each form, in code only ---------------------------------------------------------------


@pytest.fixture
def open_with(alice, provider_a, make_runbook):
    """open_with(body, mapping, **labels) -> the page of a runbook with `body`, opened from
    an alert CephOSDDown with `labels` through its /r/ link."""
    made = []

    def open_(body, mapping=None, user=alice, **labels):
        runbook = make_runbook(
            alice,
            title=f"Runbook {len(made)}",
            body=body,
            provider=provider_a,
            placeholder_labels=mapping or {},
        )
        routes.save_route(
            actor=alice, alertname=f"Alert{len(made)}", runbook=runbook, provider=provider_a
        )
        made.append(runbook)
        link = links.alert_url(f"Alert{len(made) - 1}", provider="provider-a", labels=labels)
        response = client_for(user).get(link, follow=True)
        assert response.status_code == 200
        return response.content.decode()

    return open_


@pytest.mark.parametrize(
    ("written", "mapping"),
    [
        ("{{ $labels.hostname }}", None),
        ("{{$labels.hostname}}", None),
        ("{{- $labels.hostname -}}", None),
        ("{{ .Labels.hostname }}", None),
        ("{{.Labels.hostname}}", None),
        ("$HOSTNAME", None),
        ("${HOSTNAME}", None),
        ("<hostname>", None),
        ("<HostName>", None),
        ("{{ $labels.host }}", {"host": "hostname"}),
        ("$HOST", {"HOST": "hostname"}),
        ("${HOST}", {"HOST": "hostname"}),
        ("<host>", {"HOST": "hostname"}),
        ("$NODE", {"$NODE": "hostname"}),
    ],
)
def test_each_form_is_filled_in_a_code_block_and_inline(open_with, written, mapping):
    body = f"Run `ping {written}`.\n\n```bash\nssh {written} uptime\n```\n"
    page = open_with(body, mapping, hostname="stor07")
    commands = codes(page)
    assert "ssh stor07 uptime" in commands and "ping stor07" in commands
    escaped = written.replace("<", "&lt;").replace(">", "&gt;")
    assert f'data-placeholder="{escaped}"' in page
    assert not note(page)


def test_outside_code_nothing_is_filled(open_with):
    page = open_with("On $HOSTNAME and {{ $labels.hostname }}:\n\n    $HOSTNAME\n", hostname="x1")
    assert "On $HOSTNAME and {{ $labels.hostname }}:" in text_of(page)
    assert codes(page).strip() == "x1"


def test_the_own_label_wins_over_the_mapping_and_case_does_not_matter(open_with):
    page = open_with(
        "```\n$HOST $OSD\n```\n",
        {"HOST": "hostname", "osd": "ceph_daemon"},
        host="h1",
        hostname="h2",
        CEPH_DAEMON="osd.3",
    )
    assert codes(page).strip() == "h1 osd.3"


def test_the_alerts_name_is_a_label_too(open_with):
    page = open_with("```\necho {{ $labels.alertname }}\n```\n")
    assert "echo Alert0" in codes(page)


def test_without_an_alert_nothing_is_filled_and_no_note_shows(alice, provider_a, make_runbook):
    runbook = make_runbook(alice, body="```\nsmartctl -a /dev/$DEVICE\n```\n", provider=provider_a)
    page = client_for(alice).get(runbook.get_absolute_url()).content.decode()
    assert "smartctl -a /dev/$DEVICE" in codes(page)
    assert "ph-missing" not in page and not note(page)


# --- The note -------------------------------------------------------------------------------


def test_an_unmapped_placeholder_is_named_with_the_alerts_labels(open_with, dave):
    body = "```bash\nsmartctl -a /dev/$DEVICE\nceph osd find {{ $labels.osd }}\n$HOSTNAME\n```\n"
    page = open_with(body, hostname="stor07", ceph_daemon="osd.7")
    shown = note(page)
    assert "Not filled from this alert" in shown
    assert "<code>$DEVICE</code>" in shown and "<code>{{ $labels.osd }}</code>" in shown
    assert "$HOSTNAME" not in shown
    assert "by hand from the labels above" in shown
    assert 'hostname="stor07"' not in shown  # the banner lists them once, just above
    assert 'href="edit/#id_placeholder_labels"' in shown  # alice edits it
    assert '<mark class="ph-missing" title="no label">$DEVICE</mark>' in page
    # The note is in the alert's banner, under the labels it sends the reader to.
    banner = page.index('class="alertbanner"')
    assert banner < page.index('class="alertlabels"') < page.index('class="unfilled"')
    assert page.index('class="unfilled"') < page.index("</aside>", banner)
    # A reader sees the note, not the link to the form.
    reader = open_with(body, user=dave, hostname="stor07")
    assert "<code>$DEVICE</code>" in note(reader) and "edit/#" not in note(reader)


def test_the_note_names_each_placeholder_once_and_counts_beyond_twenty(open_with):
    names = [f"$P{i:02d}" for i in range(25)]
    page = open_with("```\n" + " ".join(names * 2) + "\n```\n", hostname="x")
    shown = note(page)
    assert shown.count("<code>$P00</code>") == 1 and "<code>$P19</code>" in shown
    assert "$P20" not in shown and "and 5 more" in shown


# --- Label values come from a link anyone can write ---------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "<script>alert(1)</script>",
        '"><img src=x onerror=alert(1)>',
        "a'b",
        "stor07; rm -rf /",
        "$(reboot)",
        "`reboot`",
        "stor07\nrm -rf /",
        "stor07\r\nx",
        "--all",
        "two words",
        "\u202estor07",
        "x" * (placeholders.MAX_VALUE + 1),
    ],
)
def test_a_hostile_value_is_never_filled_nor_markup(open_with, value):
    page = open_with("```bash\nssh $HOSTNAME\n```\n", hostname=value)
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "rm -rf /" not in codes(page) and "reboot" not in codes(page)
    assert (
        '<mark class="ph-missing" title="the value of label hostname is not one plain word">'
        in page
    )
    assert "(the value of <code>hostname</code> is not one plain word)" in note(page)


def test_a_value_too_long_for_a_link_is_not_a_label_at_all(alice, provider_a, make_runbook):
    runbook = make_runbook(alice, body="```\nssh $HOSTNAME\n```\n", provider=provider_a)
    url = f"{runbook.get_absolute_url()}?alert=X&label.hostname={'x' * 2000}"
    page = client_for(alice).get(url).content.decode()
    assert "x" * 1025 not in page
    assert "<code>$HOSTNAME</code>" in note(page) and "not one plain word" not in note(page)
    # /r/ refuses a 10 kB value before any page is drawn.
    long = links.alert_url("X", labels={"hostname": "x" * 10_000})
    assert client_for(alice).get(long).status_code in (400, 414)


def test_a_broken_utf8_value_is_not_filled(alice, provider_a, make_runbook):
    runbook = make_runbook(alice, body="```\nssh $HOSTNAME\n```\n", provider=provider_a)
    url = f"{runbook.get_absolute_url()}?alert=X&label.hostname=%ED%A0%80stor07"
    page = client_for(alice).get(url).content.decode()
    assert "ssh $HOSTNAME" in codes(page)
    assert "not one plain word" in note(page)


def test_fill_is_plain_text_in_and_out():
    html = "<pre><code>a $X b</code></pre><p>$X</p><code>&lt;x&gt; $Y</code>"
    found = placeholders.fill(html, {"x": "v.1", "y": "\ud800"}, {})
    assert found.html == (
        '<pre><code>a <span class="ph-value" data-placeholder="$X" '
        'title="$X: the alert&#x27;s label x">v.1</span> b</code></pre><p>$X</p>'
        '<code><span class="ph-value" data-placeholder="&lt;x&gt;" '
        'title="&lt;x&gt;: the alert&#x27;s label x">v.1</span> <mark class="ph-missing" '
        'title="the value of label y is not one plain word">$Y</mark></code>'
    )
    assert found.filled == 2 and found.unfilled == [placeholders.Unfilled("$Y", "y")]


# --- The mapping: form, API, validation --------------------------------------------------------


def _edit(client, runbook, mapping: str):
    return client.post(
        f"/runbooks/{runbook.slug}/edit/",
        {
            "title": runbook.title,
            "body": runbook.current_revision.body,
            "tags": "",
            "component": "ceph",
            "review_interval_days": 180,
            "placeholder_labels": mapping,
            "base_revision": runbook.current_revision.number,
            "message": "",
        },
    )


def test_the_form_sets_and_shows_the_mapping(alice, provider_a, make_runbook):
    runbook = make_runbook(alice, provider=provider_a)
    client = client_for(alice)
    response = _edit(client, runbook, "$OSD: ceph_daemon\n\n<host>: hostname\n")
    assert response.status_code == 302
    runbook.refresh_from_db()
    assert runbook.placeholder_labels == {"OSD": "ceph_daemon", "host": "hostname"}
    form = client.get(f"/runbooks/{runbook.slug}/edit/").content.decode()
    assert 'id="id_placeholder_labels"' in form
    assert "OSD: ceph_daemon\nhost: hostname</textarea>" in form  # sorted, as on any database


@pytest.mark.parametrize(
    ("mapping", "error"),
    [
        ("OSD ceph_daemon", "Write “PLACEHOLDER: label”"),
        ("OSD: ceph-daemon", "is not a label name"),
        ("OSD NAME: ceph_daemon", "is not a placeholder name"),
        ("OSD: a\nosd: b", "osd is named twice"),
        ("\n".join(f"P{i}: l" for i in range(51)), "At most 50 placeholders"),
        ("<script src=x>: x", "is not a placeholder name"),
    ],
)
def test_the_form_says_what_is_wrong_with_a_mapping(
    alice, provider_a, make_runbook, mapping, error
):
    runbook = make_runbook(alice, provider=provider_a)
    response = _edit(client_for(alice), runbook, mapping)
    page = response.content.decode()
    assert response.status_code == 200 and "errorlist" in page
    assert error.replace("“", "&ldquo;").replace("”", "&rdquo;") in page or error in page
    runbook.refresh_from_db()
    assert runbook.placeholder_labels == {}


def api_for(user) -> ApiClient:
    scopes = [Scope.READ, Scope.WRITE]
    return ApiClient(token=tokens.issue_token(name="t", scopes=scopes, user=user, actor=SYSTEM)[1])


@pytest.fixture
def api(alice):
    return api_for(alice)


def test_the_api_reads_and_writes_the_mapping(api, alice, provider_a):
    created = validate(
        api.post(
            "/api/v1/runbooks/",
            {
                "title": "Ceph OSD down",
                "body": "```\nceph osd find $OSD\n```\n",
                "provider": "provider-a",
                "placeholder_labels": {"$OSD": "ceph_daemon"},
            },
        )
    )
    assert created.status_code == 201 and created.json()["placeholder_labels"] == {
        "OSD": "ceph_daemon"
    }
    url = "/api/v1/runbooks/ceph-osd-down/"
    changed = validate(
        api.patch(url, {"placeholder_labels": {"HOST": "hostname"}, "base_revision": 1})
    )
    assert changed.status_code == 200 and changed.json()["placeholder_labels"] == {
        "HOST": "hostname"
    }
    assert validate(api.get(url)).json()["placeholder_labels"] == {"HOST": "hostname"}


@pytest.mark.parametrize(
    "mapping",
    [
        {"OSD": "ceph-daemon"},
        {"OSD NAME": "x"},
        {"OSD": "a", "osd": "b"},
        {f"P{i}": "l" for i in range(51)},
        {"OSD": "x" * 101},
        ["OSD", "ceph_daemon"],
        "OSD: ceph_daemon",
        {"OSD": None},
        None,
    ],
)
def test_the_api_refuses_a_wrong_mapping_with_a_400(api, alice, provider_a, make_runbook, mapping):
    runbook = make_runbook(alice, provider=provider_a)
    response = validate(
        api.patch(
            f"/api/v1/runbooks/{runbook.slug}/",
            {"placeholder_labels": mapping, "base_revision": 1},
        )
    )
    assert response.status_code == 400 and "placeholder_labels" in response.json()
    runbook.refresh_from_db()
    assert runbook.placeholder_labels == {}


def test_someone_else_may_not_set_the_mapping(bob, alice, provider_a, make_runbook):
    runbook = make_runbook(alice, provider=provider_a)
    response = api_for(bob).patch(
        f"/api/v1/runbooks/{runbook.slug}/",
        {"placeholder_labels": {"OSD": "ceph_daemon"}, "base_revision": 1},
    )
    assert response.status_code in (403, 404)
    runbook.refresh_from_db()
    assert runbook.placeholder_labels == {}


# --- Front matter ------------------------------------------------------------------------------


def run(command: str, *args) -> str:
    out, err = StringIO(), StringIO()
    try:
        call_command(command, *map(str, args), stdout=out, stderr=err)
    except CommandError as exc:  # the files that failed are named in the output
        err.write(str(exc))
    return out.getvalue() + err.getvalue()


WITH_MAPPING = (
    "---\n"
    "title: Ceph OSD down\n"
    "# which alert label fills which placeholder\n"
    "placeholder_labels:\n"
    "  OSD: ceph_daemon\n"
    "  HOST: hostname\n"
    "weight: 20\n"
    "---\n"
    "\n"
    "```bash\n"
    "ceph osd find $OSD\n"
    "```\n"
)


def write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode())
    return path


def test_front_matter_sets_the_mapping_and_round_trips_byte_for_byte(db, tmp_path):
    write(tmp_path / "in", "ceph/CephOSDDown.md", WITH_MAPPING)
    run("import_runbooks", tmp_path / "in")
    runbook = Runbook.objects.get()
    assert runbook.placeholder_labels == {"OSD": "ceph_daemon", "HOST": "hostname"}
    run("export_runbooks", tmp_path / "out")
    assert (tmp_path / "out" / "ceph" / "CephOSDDown.md").read_text() == WITH_MAPPING
    assert "0 updated, 1 unchanged" in run("import_runbooks", tmp_path / "in")


def test_a_mapping_set_in_the_pages_is_written_to_the_front_matter(carol, tmp_path):
    write(tmp_path / "in", "ceph/CephOSDDown.md", WITH_MAPPING)
    run("import_runbooks", tmp_path / "in")
    runbook = Runbook.objects.get()
    documents.edit_document(
        runbook,
        actor=carol,
        base_revision=1,
        placeholder_labels={"OSD": "ceph_daemon", "DEVICE": "device"},
    )
    runbook.refresh_from_db()
    assert runbook.placeholder_labels == {"OSD": "ceph_daemon", "DEVICE": "device"}
    run("export_runbooks", tmp_path / "out")
    exported = (tmp_path / "out" / "ceph" / "CephOSDDown.md").read_text()
    assert exported == WITH_MAPPING.replace(
        "placeholder_labels:\n  OSD: ceph_daemon\n  HOST: hostname\nweight: 20\n",
        "weight: 20\nplaceholder_labels:\n  DEVICE: device\n  OSD: ceph_daemon\n",
    )
    # Read back, the file gives the same mapping, and a second export the same bytes.
    run("import_runbooks", tmp_path / "out")
    runbook.refresh_from_db()
    assert runbook.placeholder_labels == {"OSD": "ceph_daemon", "DEVICE": "device"}
    run("export_runbooks", tmp_path / "again")
    assert (tmp_path / "again" / "ceph" / "CephOSDDown.md").read_text() == exported


def test_a_runbook_made_in_the_pages_gets_front_matter_only_for_its_mapping(alice, tmp_path):
    plain = documents.create_document(
        kind=Kind.RUNBOOK, title="Plain", body="# Plain\n", actor=alice, component="ceph"
    )
    documents.create_document(
        kind=Kind.RUNBOOK,
        title="Mapped",
        body="# Mapped\n",
        actor=alice,
        component="ceph",
        placeholder_labels={"OSD": "ceph_daemon"},
    )
    run("export_runbooks", tmp_path)
    assert (tmp_path / "ceph" / f"{plain.slug}.md").read_text() == "# Plain\n"
    mapped = (tmp_path / "ceph" / "mapped.md").read_text()
    assert mapped == "---\nplaceholder_labels:\n  OSD: ceph_daemon\n---\n# Mapped\n"
    run("import_runbooks", tmp_path)
    assert Runbook.objects.count() == 2
    assert Runbook.objects.get(slug="mapped").placeholder_labels == {"OSD": "ceph_daemon"}


def test_a_wrong_mapping_in_front_matter_fails_the_file_and_writes_nothing(db, tmp_path):
    write(tmp_path, "ceph/CephOSDDown.md", "---\nplaceholder_labels:\n  OSD: ceph-daemon\n---\nx\n")
    write(tmp_path, "ceph/Other.md", "---\nplaceholder_labels: [OSD]\n---\nx\n")
    out = run("import_runbooks", tmp_path)
    assert "failed    ceph/CephOSDDown.md: 'ceph-daemon' (for OSD) is not a label name" in out
    assert "failed    ceph/Other.md: Placeholders and the labels" in out
    assert not Runbook.objects.exists()


def test_anonymous_pages_opened_from_an_alert_are_filled_too(provider_a, alice, make_runbook):
    runbook = make_runbook(alice, body="```\nssh $HOSTNAME\n```\n", provider=provider_a)
    url = f"{runbook.get_absolute_url()}?alert=X&label.hostname=stor07"
    assert "ssh stor07" in codes(Client().get(url).content.decode())
    assert "ssh stor09" in codes(Client().get(url.replace("07", "09")).content.decode())


def test_the_shells_own_variables_are_not_placeholders_left_open(open_with):
    page = open_with('```bash\nexport PATH="$PATH:$HOME/bin"\nssh ${NODE}\n```\n', hostname="x")
    assert "export PATH=&quot;$PATH:$HOME/bin&quot;" in codes(page)
    assert "<code>${NODE}</code>" in note(page) and "$PATH" not in note(page)
