"""What every service shares: the two ways a write is refused, the acting user's check, and
the transaction of a service that changes what pages show.

`SYSTEM`, the actor of commands and tasks, lives in `runbooks.actors` (below the audit log,
which needs it too); this module does not re-export it.
"""

from collections.abc import Callable
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.db import transaction

from runbooks import actors, pagecache


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
    if actor is not actors.SYSTEM and not rule(actor, *args):
        raise NotAllowed(message)


def user_or_none(actor):
    """The user to record as author or creator: None for the system."""
    return None if actor is actors.SYSTEM else actor


def changes_pages(service):
    """A service that changes what document pages show (`transaction.atomic` and more): the
    pages it touches (`pagecache.touch`), and those the services it calls touch, are stamped
    by one UPDATE at its end, inside its transaction, so the stamps commit with the change."""

    @wraps(service)
    def run(*args, **kwargs):
        with transaction.atomic(), pagecache.stamping_once():
            return service(*args, **kwargs)

    return run
