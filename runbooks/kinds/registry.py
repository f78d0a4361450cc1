"""Every kind of document, registered once; ask `KINDS[kind]`."""

from .base import Registry
from .postmortem import POSTMORTEM
from .report import REPORT
from .runbook import RUNBOOK

KINDS = Registry()
for _spec in (RUNBOOK, POSTMORTEM, REPORT):
    KINDS.register(_spec)
