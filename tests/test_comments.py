"""Comments across providers (issue 14): on every kind, Markdown sanitised, one level of
replies, the author's provider, the revision written on, section anchors with counts beside
the headings, edits and deletions by authors, hiding by moderators, @mentions — and never a
wider audience than the document's."""

import pytest

from runbooks.actors import SYSTEM
from runbooks.choices import Kind, Visibility
from runbooks.models import Comment, Scope
from runbooks.services import comments, documents, tokens
from tests.api import ApiClient, validate
from tests.conftest import client_for

BODY = "## Meaning\n\nAn OSD stopped.\n\n## Diagnosis\n\nLook at the log.\n"


def api(user) -> ApiClient:
    secret = tokens.issue_token(actor=SYSTEM, name="t", scopes=[Scope.READ, Scope.WRITE], user=user)
    return ApiClient(token=secret[1])


@pytest.fixture
def runbook(alice, make_runbook):
    return make_runbook(alice, title="Ceph OSD down", body=BODY)  # community, public


def _messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"]) if response.context else ""


def test_operators_of_two_providers_talk_on_a_runbook(alice, bob, runbook):
    url = runbook.get_absolute_url()
    first = client_for(bob).post(
        url + "comments/",
        {"body": "Step 3 failed on **R6**, @alice", "section": "diagnosis"},
        follow=True,
    )
    assert "Comment added." in _messages(first)
    comment = Comment.objects.get()
    assert (comment.provider.slug, comment.revision.number, comment.section) == (
        "provider-b",
        1,
        "diagnosis",
    )
    assert list(comment.mentions.values_list("username", flat=True)) == ["alice"]
    reply = client_for(alice).post(
        url + "comments/", {"body": "Thanks, fixed in the next revision.", "parent": comment.pk}
    )
    assert reply.status_code == 302
    documents.add_revision(
        runbook, actor=alice, title=runbook.title, body=BODY + "x", base_revision=1
    )

    page = client_for(None).get(url).content.decode()  # a public runbook: its comments too
    assert "<strong>R6</strong>" in page and "Provider B" in page
    assert "written on revision 1; now at 2" in page
    assert 'href="#comments-diagnosis">2 comments</a>' in page  # beside the heading
    assert 'id="comments-diagnosis"' in page and "Thanks, fixed" in page
    assert 'name="body"' not in page and "Sign in</a> to comment" in page


def test_comment_markup_is_sanitised_and_cannot_take_a_sections_anchor(alice, runbook):
    hostile = (
        "<script>alert(1)</script><img src=x onerror=alert(2)> [x](javascript:alert(3))\n\n"
        "## Diagnosis\n"
    )
    comments.add_comment(runbook, actor=alice, body=hostile)
    page = client_for(alice).get(runbook.get_absolute_url()).content.decode()
    assert "<script>alert(1)" not in page and "onerror" not in page
    assert "javascript:alert(3)" not in page
    assert page.count('id="diagnosis"') == 1  # the document's heading only


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"body": ""}, "body"),
        ({"body": "x" * 20_001}, "body"),
        ({"body": "ok", "section": "no-such-heading"}, "section"),
        ({"body": "ok", "parent": 10**12}, "parent"),
    ],
)
def test_bad_comments_are_a_400_naming_the_field(alice, runbook, kwargs, field):
    response = validate(api(alice).post(f"/api/v1/runbooks/{runbook.slug}/comments/", kwargs))
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not Comment.objects.exists()


def test_replies_go_one_level_deep_and_stay_on_their_document(alice, bob, runbook, make_runbook):
    other = make_runbook(alice, title="Other")
    top = comments.add_comment(runbook, actor=alice, body="Top")
    reply = comments.add_comment(runbook, actor=bob, body="Reply", parent=top)
    url = f"/api/v1/runbooks/{runbook.slug}/comments/"
    deeper = validate(api(alice).post(url, {"body": "Deeper", "parent": reply.pk}))
    assert deeper.status_code == 400 and "parent" in deeper.json()
    elsewhere = api(alice).post(
        f"/api/v1/runbooks/{other.slug}/comments/", {"body": "x", "parent": top.pk}
    )
    assert elsewhere.status_code == 400 and "parent" in elsewhere.json()
    assert Comment.objects.count() == 2


def test_a_comment_on_a_document_one_may_not_see_is_a_404(alice, bob, provider_a):
    draft = documents.create_document(
        actor=alice, kind=Kind.POSTMORTEM, title="Draft", body="x", provider=provider_a
    )
    url = draft.get_absolute_url()
    assert client_for(bob).post(url + "comments/", {"body": "hi"}).status_code == 404
    response = api(bob).post(f"/api/v1/postmortems/{draft.slug}/comments/", {"body": "hi"})
    assert response.status_code == 404
    assert client_for(None).post(url + "comments/", {"body": "hi"}).status_code == 302  # sign in
    assert not Comment.objects.exists()


def test_authors_edit_and_delete_their_own_and_nobody_elses(alice, bob, runbook):
    top = comments.add_comment(runbook, actor=alice, body="First words")
    comments.add_comment(runbook, actor=bob, body="A reply", parent=top)
    url = f"/api/v1/runbooks/{runbook.slug}/comments/{top.pk}/"
    assert api(bob).patch(url, {"body": "Hijacked"}).status_code == 403
    assert (
        client_for(bob).post(f"{runbook.get_absolute_url()}comments/{top.pk}/delete/").status_code
        == 403
    )
    assert (
        client_for(bob).get(f"{runbook.get_absolute_url()}comments/{top.pk}/edit/").status_code
        == 403
    )
    edited = validate(api(alice).patch(url, {"body": "Better words"}))
    assert edited.status_code == 200 and edited.json()["edited_at"] is not None
    page = client_for(bob).get(runbook.get_absolute_url()).content.decode()
    assert "Better words" in page and "· edited" in page

    assert api(alice).delete(url).status_code == 204
    page = client_for(bob).get(runbook.get_absolute_url()).content.decode()
    assert "This comment was deleted." in page and "Better words" not in page
    assert "A reply" in page  # replies stay
    listed = api(bob).get(f"/api/v1/runbooks/{runbook.slug}/comments/").json()["results"]
    assert listed[0]["deleted"] and listed[0]["body"] == "" and listed[1]["body"] == "A reply"


def test_moderators_hide_with_a_reason_and_a_hidden_comment_leaves_every_count(
    alice, bob, dave, erin, carol, runbook
):
    spam = comments.add_comment(runbook, actor=bob, body="Buy cheap disks", section="diagnosis")
    comments.add_comment(runbook, actor=dave, body="Useful note")
    hide = f"/api/v1/runbooks/{runbook.slug}/comments/{spam.pk}/hide/"
    assert (
        api(alice).post(hide, {"reason": "spam"}).status_code == 403
    )  # an editor, not a moderator
    assert validate(api(carol).post(hide, {"reason": ""})).status_code == 400
    hidden = validate(api(carol).post(hide, {"reason": "Advertising"}))
    assert hidden.status_code == 200 and hidden.json()["hidden"] is True

    for reader in (alice, dave, None):
        page = client_for(reader).get(runbook.get_absolute_url()).content.decode()
        assert "Buy cheap disks" not in page and "1 comment" not in page
        assert 'Comments <span class="muted">1</span>' in page
    for insider in (bob, carol):  # its author and moderators still see it, marked
        page = client_for(insider).get(runbook.get_absolute_url()).content.decode()
        assert "Buy cheap disks" in page and "Hidden by a moderator: Advertising" in page
    listed = api(alice).get(f"/api/v1/runbooks/{runbook.slug}/comments/").json()
    assert listed["count"] == 1

    shown = validate(api(carol).delete(hide))
    assert shown.status_code == 200 and not shown.json()["hidden"]


def test_a_provider_admin_moderates_comments_on_its_documents(alice, bob, erin, provider_a):
    ours = documents.create_document(
        actor=alice, kind=Kind.REPORT, title="R", body="x", provider=provider_a
    )
    documents.publish(ours, actor=alice, visibility=Visibility.COMMUNITY)
    spam = comments.add_comment(ours, actor=bob, body="spam")
    url = f"{ours.get_absolute_url()}comments/{spam.pk}/hide/"
    assert client_for(erin).post(url, {"reason": "off topic"}).status_code == 302
    assert Comment.objects.get().is_hidden


def test_mentions_name_only_those_who_may_see_the_document(alice, bob, dave, provider_a):
    draft = documents.create_document(
        actor=alice, kind=Kind.POSTMORTEM, title="Draft", body="x", provider=provider_a
    )
    comment = comments.add_comment(draft, actor=alice, body="@dave @bob @nobody please look")
    assert list(comment.mentions.values_list("username", flat=True)) == ["dave"]


def test_comments_on_every_kind_in_the_page(alice, provider_a):
    for kind in (Kind.RUNBOOK, Kind.POSTMORTEM, Kind.REPORT):
        document = documents.create_document(
            actor=alice, kind=kind, title=f"A {kind}", body="x", provider=provider_a
        )
        response = client_for(alice).post(
            document.get_absolute_url() + "comments/", {"body": f"On the {kind}"}, follow=True
        )
        assert f"On the {kind}" in response.content.decode()
