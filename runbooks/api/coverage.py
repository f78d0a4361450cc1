"""POST /api/v1/coverage/: the rule coverage of the YAML in the body, as `rule_coverage
--format json` prints it (issue 22). It stores nothing, so a read token may ask."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import BaseParser
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from runbooks import links
from runbooks.coverage import report, rulefiles
from runbooks.models import Provider, Scope
from runbooks.visibility import member_providers

from .permissions import token_of


class RuleFileParser(BaseParser):
    """The body as text: YAML (or JSON, which is YAML) of any media type."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return stream.read().decode("utf-8")
        except UnicodeDecodeError:
            raise ParseError("The rule file is not UTF-8 text.") from None


class ReadsOnly(BasePermission):
    """Nothing is written: a token with `read` (or `write`) may ask."""

    message = "This token's scopes do not allow this request."

    def has_permission(self, request, view) -> bool:
        token = token_of(request)
        return token is None or request.method in SAFE_METHODS or token.has_scope(Scope.READ)


def _member_scope(user, slug: str | None) -> Provider | None:
    """The provider to resolve for: the one named, which must be one of the caller's (another
    provider's routes lead to its private runbooks), else their only one, else none."""
    mine = member_providers(user)
    if slug:
        provider = mine.filter(slug__iexact=slug[:50]).first()
        if provider is None:
            raise ValidationError({"provider": ["You are not a member of that provider."]})
        return provider
    return mine.first() if mine.count() == 1 else None


ALERT_FIELDS = {
    "file": serializers.CharField(),
    "group": serializers.CharField(),
    "alert": serializers.CharField(),
    "labels": serializers.DictField(child=serializers.CharField()),
    "runbook": serializers.CharField(allow_null=True),
    "runbook_url": serializers.ChoiceField(choices=[report.OPENOPS, report.OTHER, report.NONE]),
    "stale": serializers.BooleanField(allow_null=True),
}


class CoverageView(APIView):
    parser_classes = [RuleFileParser]
    permission_classes = [IsAuthenticated, ReadsOnly]

    @extend_schema(
        request={"application/yaml": OpenApiTypes.STR},
        parameters=[OpenApiParameter("provider", str, description="Resolve for this provider.")],
        responses=inline_serializer(
            "Coverage",
            {
                "total": serializers.IntegerField(),
                "covered": serializers.IntegerField(),
                "coverage": serializers.FloatField(),
                "alerts": inline_serializer("CoveredAlert", ALERT_FIELDS, many=True),
            },
        ),
    )
    def post(self, request):
        provider = _member_scope(request.user, request.query_params.get("provider"))
        text = request.data if isinstance(request.data, str) else ""
        if not text.strip():
            raise ValidationError({"rules": ["Send a rule file (YAML) as the body."]})
        try:
            found = rulefiles.read("body", text)
        except rulefiles.RuleError as exc:
            raise ValidationError({"rules": [str(exc)]}) from None
        return Response(report.check([found], provider, links.base_url(request)).as_json())
