"""How long one search may hold a worker: `limited()` around every statement of a search.

Per document the work is bounded by what is indexed and asked (`entries.MAX_TEXT`,
`terms.MAX_TERMS`, `snippets.WINDOW`); a query that matches very many documents is bounded by
time, as rendering is: past OPENOPS_SEARCH_TIMEOUT seconds (settings) the search stops and
raises TooBroad, which pages and the API answer with "too broad".

- SQLite: a progress handler, called every STEPS virtual-machine instructions, interrupts the
  statement once the time is up; it is removed afterwards;
- PostgreSQL: `statement_timeout` for the search's own transaction (`SET LOCAL`);
- both: a statement that would start after the time is up is not started.
"""

import time
from contextlib import contextmanager

from django.conf import settings
from django.db import DatabaseError, connection, transaction

SEARCH_TIMEOUT_SECONDS = 3.0
STEPS = 1000  # SQLite instructions between two looks at the clock
_CANCELLED = "57014"  # PostgreSQL's query_canceled


class TooBroad(Exception):
    """The search would take longer than its budget."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        super().__init__(
            f"This search matches too much to answer within {seconds:g} seconds; "
            "add words, put a phrase in quotes, or choose a kind or a provider."
        )


def seconds() -> float:
    return float(getattr(settings, "OPENOPS_SEARCH_TIMEOUT", SEARCH_TIMEOUT_SECONDS))


@contextmanager
def limited():
    """Run the block's statements within the budget, or raise TooBroad."""
    budget = seconds()
    deadline = time.monotonic() + budget

    def before_each(execute, sql, params, many, context):
        if time.monotonic() >= deadline:
            raise TooBroad(budget)
        return execute(sql, params, many, context)

    try:
        with _LIMITS[connection.vendor](deadline, budget), connection.execute_wrapper(before_each):
            yield
    except DatabaseError as exc:
        if _interrupted(exc):
            raise TooBroad(budget) from exc
        raise


def _interrupted(exc: DatabaseError) -> bool:
    """Stopped by the budget: SQLite's progress handler, PostgreSQL's statement_timeout."""
    cause = exc.__cause__
    state = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    return state == _CANCELLED or str(cause) == "interrupted"


@contextmanager
def _sqlite(deadline: float, budget: float):
    """No transaction of its own: this database's are IMMEDIATE (settings), and a search
    would hold the write lock for its whole budget."""
    connection.ensure_connection()
    raw = connection.connection
    raw.set_progress_handler(lambda: time.monotonic() >= deadline, STEPS)
    try:
        yield
    finally:
        raw.set_progress_handler(None, STEPS)


@contextmanager
def _postgres(deadline: float, budget: float):
    """A transaction of its own, for SET LOCAL; inside an outer one (a test's) the setting
    would outlive the block, so it is put back."""
    milliseconds = str(max(1, int(budget * 1000)))  # 0 would mean no limit
    nested = connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        if nested:
            cursor.execute("SELECT current_setting('statement_timeout')")
            before = cursor.fetchone()[0]
        cursor.execute("SELECT set_config('statement_timeout', %s, true)", [milliseconds])
        yield
        if nested:
            cursor.execute("SELECT set_config('statement_timeout', %s, true)", [before])


_LIMITS = {"sqlite": _sqlite, "postgresql": _postgres}
