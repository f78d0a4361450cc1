"""What every service shares: who is acting, the two ways a write is refused, and the
transaction of a service that changes what pages show."""

from collections.abc import Callable
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.db import transaction

from runbooks import pagecache


class _System:
    """The acting party of commands, imports, tasks and migrations: not a user, never refused.
    Revisions and routes it writes have no author."""

    is_authenticated = True
    is_staff = False
    is_superuser = False
    pk = None

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM = _System()


class NotAllowed(PermissionDenied):
    """The acting user may not do this (403 in the API and in the pages)."""


class EditConflict(Exception):
    """The edit started from a revision that is no longer current (409)."""

    def __init__(self, document, base: int | None):
        self.document = document
        self.base = base
        self.current = document.current_revision
        super().__init__(
            f"This document changed since revision {base}: "
            f"the current revision is {self.current.number if self.current else 0}."
        )


def require(actor, rule: Callable[..., bool], *args, message: str) -> None:
    """Refuse with NotAllowed unless `rule(actor, *args)` holds (the system always may)."""
    if actor is not SYSTEM and not rule(actor, *args):
        raise NotAllowed(message)


def user_or_none(actor):
    """The user to record as author or creator: None for the system."""
    return None if actor is SYSTEM else actor


def changes_pages(service):
    """A service that changes what document pages show (`transaction.atomic` and more): the
    pages it touches (`pagecache.touch`), and those the services it calls touch, are stamped
    by one UPDATE at its end, inside its transaction, so the stamps commit with the change."""

    @wraps(service)
    def run(*args, **kwargs):
        with transaction.atomic(), pagecache.stamping_once():
            return service(*args, **kwargs)

    return run
