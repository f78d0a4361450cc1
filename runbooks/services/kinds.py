"""What each kind of document adds to the writes, keyed by kind: the services that replace its
link sets (a post-mortem's runbooks used and alerts, a report's runbook), and what happens
around a change of who may read one (a post-mortem's verdicts, a report's failure count from
then).

The services register here, from above: the kinds registry (`runbooks.kinds`) holds data only
and names no service. `services.documents` calls these inside the write's transaction."""

from collections.abc import Callable
from contextlib import AbstractContextManager

from runbooks.choices import Kind

from . import postmortems, reports

# kind → relation name (`KindSpec.relations`) → f(document, value, *, actor): replaces it.
RELATION_SAVERS: dict[str, dict[str, Callable[..., object]]] = {
    Kind.POSTMORTEM: {
        "runbooks_used": postmortems.set_runbooks_used,
        "alerts": postmortems.set_linked_alerts,
    },
    Kind.REPORT: {
        "runbook": reports.set_runbook,
        "runbook_revision": reports.set_runbook_revision,
    },
}

# kind → f(document) -> a context manager around a change of its status or visibility (or
# of its own fields: a report's outcome).
AUDIENCE_CHANGES: dict[str, Callable[..., AbstractContextManager]] = {
    Kind.POSTMORTEM: postmortems.verdicts_follow,
    Kind.REPORT: reports.failures_follow,
}


def relation_saver(kind: str, name: str) -> Callable[..., object]:
    """The service that replaces relation `name` of `kind` (KeyError: a relation that nothing
    saves, which the registry's test forbids)."""
    return RELATION_SAVERS[kind][name]
