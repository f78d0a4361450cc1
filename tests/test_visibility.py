"""The rules of DESIGN §3, persona by persona, through the one queryset."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from runbooks import visibility
from runbooks.actors import SYSTEM
from runbooks.choices import Kind, Status, Visibility
from runbooks.models import Document
from runbooks.services import documents

ALL = {"alice", "bob", "dave", "carol", "anonymous"}
SIGNED_IN = ALL - {"anonymous"}

# (description, document options, who sees it)
CASES = [
    ("public community runbook", {}, ALL),
    (
        "community-visible runbook of A",
        {"provider": "a", "visibility": Visibility.COMMUNITY},
        SIGNED_IN,
    ),
    (
        "provider-only runbook of A",
        {"provider": "a", "visibility": Visibility.PROVIDER},
        {"alice", "dave"},
    ),
    ("draft post-mortem of A", {"provider": "a", "kind": Kind.POSTMORTEM}, {"alice", "dave"}),
    ("draft community runbook by alice", {"status": Status.DRAFT}, {"alice", "carol"}),
    (
        "in-review community report by alice",
        {"kind": Kind.REPORT, "status": Status.IN_REVIEW},
        {"alice", "carol"},
    ),
    ("archived public runbook of B", {"provider": "b", "status": Status.ARCHIVED}, ALL),
    ("draft public runbook of B", {"provider": "b", "status": Status.DRAFT}, {"bob"}),
    ("provider-only runbook of B", {"provider": "b", "visibility": Visibility.PROVIDER}, {"bob"}),
]


def _viewer(personas, name):
    return personas[name] or AnonymousUser()


@pytest.mark.parametrize("description,options,seers", CASES, ids=[c[0] for c in CASES])
def test_who_sees_a_document(
    personas, provider_a, provider_b, make_runbook, description, options, seers
):
    options = dict(options)
    provider = {"a": provider_a, "b": provider_b, None: None}[options.pop("provider", None)]
    author = personas["bob"] if provider == provider_b else personas["alice"]
    document = make_runbook(author, title=description, provider=provider, **options)
    for name in ALL:
        visible = (
            Document.objects.visible_to(_viewer(personas, name)).filter(pk=document.pk).exists()
        )
        assert visible == (name in seers), f"{name} {'sees' if visible else 'misses'} {description}"


def test_an_embargo_hides_a_published_document_until_it_passes(personas, provider_a, make_runbook):
    document = make_runbook(personas["alice"], provider=provider_a, visibility=Visibility.PUBLIC)
    documents.publish(document, embargo_until=timezone.now() + timedelta(hours=1), actor=SYSTEM)
    assert not Document.objects.visible_to(personas["bob"]).filter(pk=document.pk).exists()
    assert Document.objects.visible_to(personas["dave"]).filter(pk=document.pk).exists()
    # An hour later (the embargo is compared at query time; publishing into the past is refused)
    Document.objects.filter(pk=document.pk).update(
        embargo_until=timezone.now() - timedelta(seconds=1)
    )
    assert Document.objects.visible_to(AnonymousUser()).filter(pk=document.pk).exists()


def test_staff_do_not_see_other_providers_private_content(personas, provider_b, make_runbook):
    document = make_runbook(personas["bob"], provider=provider_b, visibility=Visibility.PROVIDER)
    assert not Document.objects.visible_to(personas["carol"]).filter(pk=document.pk).exists()


def test_what_a_provider_sees_is_the_same_for_every_member(
    personas, provider_a, provider_b, make_runbook
):
    own = make_runbook(personas["alice"], provider=provider_a, visibility=Visibility.PROVIDER)
    other = make_runbook(personas["bob"], provider=provider_b, visibility=Visibility.PROVIDER)
    shared = make_runbook(personas["bob"], provider=provider_b, visibility=Visibility.COMMUNITY)
    draft = make_runbook(personas["alice"], status=Status.DRAFT)
    seen = set(Document.objects.visible_to_provider(provider_a).values_list("pk", flat=True))
    assert seen == {own.pk, shared.pk}
    assert other.pk not in seen and draft.pk not in seen


def test_edit_publish_and_delete_rights(personas, provider_a, erin, make_runbook):
    alice, bob, dave, carol = (personas[n] for n in ("alice", "bob", "dave", "carol"))
    of_a = make_runbook(alice, provider=provider_a)
    community = make_runbook(alice)
    assert visibility.can_edit(alice, of_a) and not visibility.can_edit(dave, of_a)
    assert not visibility.can_edit(bob, of_a) and not visibility.can_edit(carol, of_a)
    assert all(visibility.can_edit(u, community) for u in (alice, bob, carol))
    assert not visibility.can_edit(dave, community)
    assert not visibility.can_edit(AnonymousUser(), community)
    assert visibility.can_publish(alice, of_a) and visibility.can_publish(erin, of_a)
    assert not visibility.can_publish(dave, of_a) and not visibility.can_publish(bob, of_a)
    assert visibility.can_delete(erin, of_a) and not visibility.can_delete(alice, of_a)
    assert visibility.can_delete(carol, community) and not visibility.can_delete(bob, community)


def test_roles_are_read_once_per_request(personas, django_assert_num_queries):
    alice = personas["alice"]
    alice = type(alice).objects.get(pk=alice.pk)
    with django_assert_num_queries(1):
        for _ in range(5):
            visibility.roles_of(alice)
