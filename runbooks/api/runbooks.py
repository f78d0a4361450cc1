"""What only the runbooks API has (registered in the runbook kind): `POST …/review/` and
`GET …/compatibility/`, the table of experience reports a runbook page shows."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from runbooks import compatibility
from runbooks.links import absolute
from runbooks.services import runbooks as runbook_services


class ResultSerializer(serializers.Serializer):
    revision = serializers.IntegerField(allow_null=True, help_text="null: not known.")
    outcome = serializers.CharField()
    report = serializers.CharField(help_text="The report's slug.")
    url = serializers.URLField()


class RowSerializer(serializers.Serializer):
    environment = serializers.DictField(child=serializers.CharField())
    results = ResultSerializer(many=True)


class CompatibilitySerializer(serializers.Serializer):
    current_revision = serializers.IntegerField(allow_null=True)
    revisions = serializers.ListField(child=serializers.IntegerField(), help_text="Newest first.")
    failed_on_current = serializers.IntegerField(
        help_text="Environments where the current revision failed."
    )
    rows = RowSerializer(many=True)


class ReviewAction:
    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def review(self, request, slug=None):
        runbook = self.get_object()
        runbook_services.mark_reviewed(runbook, actor=request.user)
        return self._read(runbook)

    @extend_schema(request=None, responses=CompatibilitySerializer)
    @action(detail=True, methods=["get"], filterset_class=None, ordering_fields=None)
    def compatibility(self, request, slug=None):
        """Outcomes of the experience reports the caller may see, by environment (newest
        report first) and runbook revision (newest first)."""
        table = compatibility.table(request.user, self.get_object())
        rows = [
            {
                "environment": dict(row.environment),
                "results": [
                    {
                        "revision": number or None,
                        "outcome": report.outcome,
                        "report": report.slug,
                        "url": absolute(report.get_absolute_url(), request),
                    }
                    for number in table.revisions
                    for report in row.results.get(number, [])
                ],
            }
            for row in table.rows
        ]
        data = {
            "current_revision": table.current,
            "revisions": table.revisions,
            "failed_on_current": table.failed_on_current,
            "rows": rows,
        }
        return Response(CompatibilitySerializer(data).data)
