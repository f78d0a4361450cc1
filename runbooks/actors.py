"""Who acts, below everything that records or checks it: the ground floor for actors.

A service takes the acting user (`actor`); commands, imports, tasks and migrations act as
`SYSTEM`. The services' checks and the audit log both ask `actor is SYSTEM`, so it lives here,
under both of them (docs/architecture.md), with no import of the project's own.
"""


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
