"""Who may publish, release, take back, edit and moderate, pinned as a table per persona (DESIGN
§3; issue 38), over HTTP: the API and the pages, for a provider's document and a community one.

The personas are the ones the rule tells apart: the creator (alice, editor at A), an editor of
the same provider who did not write it (frank), an admin of the same provider (erin), an editor
of another provider (bob), a moderator (carol, staff), a reader of the same provider (dave) and
an anonymous visitor. The expected answers are written out here, not asked of the code.
"""

import pytest

from runbooks.actors import SYSTEM
from runbooks.choices import Kind, Status, Visibility
from runbooks.models import Comment, Document, Scope
from runbooks.services import comments, documents, tokens
from tests.api import ApiClient
from tests.conftest import _member, client_for

PERSONAS = ["creator", "colleague", "admin", "other", "staff", "reader", "anonymous"]

# DESIGN §3, written out: who publishes (and so releases or takes back) a document…
PUBLISHERS = {
    "provider": {"creator", "admin"},
    "community": {"creator", "staff"},
}
# …who edits it (moves draft <-> review, published <-> archived)…
EDITORS = {
    "provider": {"creator", "colleague", "admin"},
    "community": {"creator", "colleague", "admin", "other", "staff"},
}
# …and who hides comments on it: staff and the admins of the document's provider.
MODERATORS = {
    "provider": {"admin", "staff"},
    "community": {"staff"},
}
# Who sees a draft (members of its provider; for a community draft its creator and staff).
SEE_DRAFT = {
    "provider": {"creator", "colleague", "admin", "reader"},
    "community": {"creator", "staff"},
}
OWNERS = ["provider", "community"]


@pytest.fixture
def people(alice, bob, dave, erin, carol, provider_a):
    frank = _member("frank", provider_a, "editor")
    return {
        "creator": alice,
        "colleague": frank,
        "admin": erin,
        "other": bob,
        "staff": carol,
        "reader": dave,
        "anonymous": None,
    }


@pytest.fixture
def draft(people, provider_a):
    """A fresh draft post-mortem by the creator: of provider A, or a community one."""

    def make(owner: str) -> Document:
        return documents.create_document(
            actor=people["creator"],
            kind=Kind.POSTMORTEM,
            title=f"Rights {owner}",
            body="## Summary\n\nThe queue stopped.\n",
            provider=provider_a if owner == "provider" else None,
            visibility=Visibility.COMMUNITY,
        )

    return make


def api_for(user) -> ApiClient:
    if user is None:
        return ApiClient()
    secret = tokens.issue_token(
        actor=SYSTEM, name="t", scopes=[Scope.READ, Scope.WRITE], user=user
    )[1]
    return ApiClient(token=secret)


def api_url(document, action: str) -> str:
    return f"/api/v1/postmortems/{document.slug}/{action}/"


def expected_api(persona: str, allowed: set, visible: set) -> int:
    """What may not be seen is a 404 (401 signed out: signing in might help); what may be
    seen but not done, a 403."""
    if persona not in visible:
        return 401 if persona == "anonymous" else 404
    return 200 if persona in allowed else 403


def released(document: Document, status: str = Status.PUBLISHED) -> Document:
    documents.publish(document, actor=SYSTEM, visibility=Visibility.COMMUNITY)
    if status != Status.PUBLISHED:
        documents.set_status(document, status, actor=SYSTEM)
    return document


def status_of(document: Document) -> str:
    return Document.objects.values_list("status", flat=True).get(pk=document.pk)


SEE_RELEASED = set(PERSONAS) - {"anonymous"}  # community visibility: anyone signed in


# --- Publishing --------------------------------------------------------------------------------


@pytest.mark.parametrize("owner", OWNERS)
@pytest.mark.parametrize("persona", PERSONAS)
def test_publishing_is_for_the_creator_and_the_providers_admins(people, draft, owner, persona):
    document = draft(owner)
    response = api_for(people[persona]).post(
        api_url(document, "publish"), {"visibility": "community"}
    )
    expected = expected_api(persona, PUBLISHERS[owner], SEE_DRAFT[owner])
    assert response.status_code == expected, response.content[:200]
    assert status_of(document) == (Status.PUBLISHED if expected == 200 else Status.DRAFT)


@pytest.mark.parametrize("owner", OWNERS)
@pytest.mark.parametrize("persona", PERSONAS)
def test_the_publish_page_opens_for_publishers_only(people, draft, owner, persona):
    document = draft(owner)
    client = client_for(people[persona])
    url = f"{document.get_absolute_url()}publish/"
    page = client.get(url).status_code
    sent = client.post(url, {"visibility": "community"}).status_code
    if persona == "anonymous":
        assert (page, sent) == (302, 302)  # to sign in
    elif persona in PUBLISHERS[owner]:
        assert (page, sent) == (200, 302)
    else:
        expected = 403 if persona in SEE_DRAFT[owner] else 404
        assert (page, sent) == (expected, expected)
    published = persona in PUBLISHERS[owner]
    assert status_of(document) == (Status.PUBLISHED if published else Status.DRAFT)


# --- Releasing and taking back through the status --------------------------------------------


@pytest.mark.parametrize("owner", OWNERS)
@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("target", [Status.PUBLISHED, Status.ARCHIVED])
def test_releasing_a_draft_through_its_status_needs_publish_rights(
    people, draft, owner, persona, target
):
    document = draft(owner)
    response = api_for(people[persona]).post(api_url(document, "status"), {"status": target})
    expected = expected_api(persona, PUBLISHERS[owner], SEE_DRAFT[owner])
    assert response.status_code == expected, response.content[:200]
    assert status_of(document) == (target if expected == 200 else Status.DRAFT)


@pytest.mark.parametrize("owner", OWNERS)
@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("start", [Status.PUBLISHED, Status.ARCHIVED])
@pytest.mark.parametrize("target", [Status.DRAFT, Status.IN_REVIEW])
def test_taking_a_document_back_needs_publish_rights(people, draft, owner, persona, start, target):
    document = released(draft(owner), start)
    response = api_for(people[persona]).post(api_url(document, "status"), {"status": target})
    expected = expected_api(persona, PUBLISHERS[owner], SEE_RELEASED)
    assert response.status_code == expected, response.content[:200]
    assert status_of(document) == (target if expected == 200 else start)


@pytest.mark.parametrize("owner", OWNERS)
@pytest.mark.parametrize("persona", PERSONAS)
def test_the_status_page_refuses_a_take_back_to_all_but_publishers(people, draft, owner, persona):
    document = released(draft(owner), Status.ARCHIVED)
    client = client_for(people[persona])
    response = client.post(f"{document.get_absolute_url()}status/", {"status": Status.DRAFT})
    if persona == "anonymous":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    elif persona in PUBLISHERS[owner]:
        assert response.status_code == 302
    else:
        assert response.status_code == 403
    taken_back = persona in PUBLISHERS[owner]
    assert status_of(document) == (Status.DRAFT if taken_back else Status.ARCHIVED)


@pytest.mark.parametrize("owner", OWNERS)
@pytest.mark.parametrize("persona", PERSONAS)
def test_draft_and_review_and_published_and_archived_are_edits(people, draft, owner, persona):
    document = draft(owner)
    asked = api_for(people[persona]).post(api_url(document, "status"), {"status": "in_review"})
    assert asked.status_code == expected_api(persona, EDITORS[owner], SEE_DRAFT[owner])
    document = released(draft(owner))
    archived = api_for(people[persona]).post(api_url(document, "status"), {"status": "archived"})
    assert archived.status_code == expected_api(persona, EDITORS[owner], SEE_RELEASED)


# --- Moderating comments -----------------------------------------------------------------------


@pytest.mark.parametrize("owner", OWNERS)
@pytest.mark.parametrize("persona", PERSONAS)
def test_hiding_comments_is_for_staff_and_the_providers_admins(people, draft, owner, persona):
    document = released(draft(owner))
    spam = comments.add_comment(document, actor=people["other"], body="Buy cheap disks")
    url = api_url(document, f"comments/{spam.pk}/hide")
    response = api_for(people[persona]).post(url, {"reason": "Advertising"})
    expected = expected_api(persona, MODERATORS[owner], SEE_RELEASED)
    assert response.status_code == expected, response.content[:200]
    assert Comment.objects.get(pk=spam.pk).is_hidden is (expected == 200)


@pytest.mark.parametrize("owner", OWNERS)
@pytest.mark.parametrize("persona", PERSONAS)
def test_showing_a_hidden_comment_again_is_for_the_same_moderators(people, draft, owner, persona):
    document = released(draft(owner))
    spam = comments.add_comment(document, actor=people["other"], body="Buy cheap disks")
    comments.hide_comment(spam, actor=people["staff"], reason="Advertising")
    response = api_for(people[persona]).delete(api_url(document, f"comments/{spam.pk}/hide"))
    # A hidden comment is seen by its author and the moderators only.
    seen_by = (MODERATORS[owner] | {"other"}) & SEE_RELEASED
    expected = expected_api(persona, MODERATORS[owner], seen_by)
    assert response.status_code == expected, response.content[:200]
    assert Comment.objects.get(pk=spam.pk).is_hidden is (expected != 200)


@pytest.mark.parametrize("owner", OWNERS)
@pytest.mark.parametrize("persona", PERSONAS)
def test_the_page_offers_and_takes_hiding_from_moderators_only(people, draft, owner, persona):
    document = released(draft(owner))
    spam = comments.add_comment(document, actor=people["other"], body="Buy cheap disks")
    client = client_for(people[persona])
    page = client.get(document.get_absolute_url()).content.decode()
    hide = f"{document.get_absolute_url()}comments/{spam.pk}/hide/"
    offered = f'action="comments/{spam.pk}/hide/"' in page
    response = client.post(hide, {"reason": "Advertising"})
    moderator = persona in MODERATORS[owner]
    assert offered is moderator
    if persona == "anonymous":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    else:
        assert response.status_code == (302 if moderator else 403)
    assert Comment.objects.get(pk=spam.pk).is_hidden is moderator


# --- Deleting ----------------------------------------------------------------------------------

DELETERS = {"provider": {"admin"}, "community": {"staff"}}


@pytest.mark.parametrize("owner", OWNERS)
@pytest.mark.parametrize("persona", PERSONAS)
def test_deleting_is_for_the_providers_admins_and_staff_for_community(
    people, draft, owner, persona
):
    document = released(draft(owner))
    response = api_for(people[persona]).delete(f"/api/v1/postmortems/{document.slug}/")
    allowed = persona in DELETERS[owner]
    assert response.status_code == (204 if allowed else expected_api(persona, set(), SEE_RELEASED))
    assert Document.objects.filter(pk=document.pk).exists() is not allowed


@pytest.mark.parametrize("owner", OWNERS)
def test_the_services_refuse_an_anonymous_actor(draft, owner):
    from django.contrib.auth.models import AnonymousUser

    from runbooks.services.base import NotAllowed

    document = released(draft(owner))
    nobody = AnonymousUser()
    for act in (
        lambda: documents.delete_document(document, actor=nobody),
        lambda: documents.publish(document, actor=nobody),
        lambda: documents.set_status(document, Status.DRAFT, actor=nobody),
        lambda: comments.hide_comment(
            comments.add_comment(document, actor=SYSTEM, body="x"), actor=nobody, reason="r"
        ),
    ):
        with pytest.raises(NotAllowed):
            act()
    assert status_of(document) == Status.PUBLISHED
