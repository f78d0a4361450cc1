"""What only experience-report pages have: the runbook the report concerns (for a reader who
may see it), and the compatibility table a runbook page shows from its reports."""

from runbooks.kinds.report import sees_subject


def detail_context(request, report) -> dict:
    subject = report.subject if sees_subject(request.user, report, {}) else None
    return {"subject": subject, "subject_revision": report.subject_revision if subject else None}
