"""What only the runbooks API has: `POST …/review/` (registered in the runbook kind)."""

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action

from runbooks.services import runbooks as runbook_services


class ReviewAction:
    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def review(self, request, slug=None):
        runbook = self.get_object()
        runbook_services.mark_reviewed(runbook, actor=request.user)
        return self._read(runbook)
