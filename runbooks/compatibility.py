"""A runbook's compatibility table: one row per environment its experience reports describe,
the outcomes per runbook revision (newest first), each linking its report. Built from the
reports the reader may see, for the runbook page and the API alike."""

from dataclasses import dataclass, field

from runbooks.choices import Kind
from runbooks.models import Report

MAX_REPORTS = 500


@dataclass
class Row:
    environment: tuple[tuple[str, str], ...]
    results: dict[int, list[Report]] = field(default_factory=dict)  # revision → reports
    cells: list[list[Report]] = field(default_factory=list)  # by the table's revisions


@dataclass
class Table:
    current: int | None
    revisions: list[int]
    rows: list[Row]

    @property
    def failed_on_current(self) -> int:
        """Environments where the current revision failed (at a glance, atop the page)."""
        return sum(
            any(r.outcome == "failed" for r in row.results.get(self.current, ()))
            for row in self.rows
        )


def table(user, runbook) -> Table:
    reports = (
        Report.objects.visible_to(user)
        .filter(kind=Kind.REPORT, subject=runbook)
        .exclude(outcome="")
        .select_related("subject_revision")
        .order_by("-created_at", "-pk")[:MAX_REPORTS]
    )
    rows: dict[tuple, Row] = {}  # newest report first, so rows keep that order
    for report in reports:
        number = report.subject_revision.number if report.subject_revision_id else 0
        key = tuple(sorted(report.environment.items()))
        row = rows.setdefault(key, Row(environment=key))
        row.results.setdefault(number, []).append(report)
    revisions = sorted({n for row in rows.values() for n in row.results}, reverse=True)
    for row in rows.values():
        row.cells = [row.results.get(number, []) for number in revisions]
    current = runbook.current_revision.number if runbook.current_revision_id else None
    return Table(current=current, revisions=revisions, rows=list(rows.values()))
