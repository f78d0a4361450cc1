"""API shapes (DESIGN §8). Fields are listed explicitly; ownership fields are read-only."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from runbooks.choices import Status, Visibility
from runbooks.links import absolute
from runbooks.models import Alert, AlertRoute, Document, Provider, Revision, Runbook, Tag

MAX_TAGS = 20
MAX_NUMBER = 2**31 - 1  # revision numbers and the like: what the columns hold


class DocumentSerializer(serializers.ModelSerializer):
    """How every document reads, whatever its kind."""

    provider = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    tags = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    body = serializers.CharField(source="current_revision.body", read_only=True)
    html = serializers.CharField(source="current_revision.html", read_only=True)
    revision = serializers.IntegerField(source="current_revision.number", read_only=True)
    creator = serializers.CharField(source="creator.username", read_only=True, allow_null=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = [
            "slug",
            "title",
            "body",
            "html",
            "provider",
            "visibility",
            "status",
            "tags",
            "revision",
            "creator",
            "created_at",
            "updated_at",
            "embargo_until",
            "url",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, document) -> str:
        return absolute(document.get_absolute_url(), self.context.get("request"))


class TagListField(serializers.ListField):
    child = serializers.CharField(max_length=50)
    max_length = MAX_TAGS


class DocumentWriteSerializer(serializers.Serializer):
    """What a client may send when creating a document. Status, creator and revision are the
    server's: status through the `status/` and `publish/` actions."""

    title = serializers.CharField(max_length=200)
    body = serializers.CharField(allow_blank=True, trim_whitespace=False, default="")
    slug = serializers.SlugField(max_length=200, required=False)
    provider = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Provider.objects.all(),
        required=False,
        allow_null=True,
        help_text="Provider slug; null or absent for a community document.",
    )
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)
    tags = TagListField(required=False)
    message = serializers.CharField(max_length=300, required=False, allow_blank=True)


class DocumentPatchSerializer(serializers.Serializer):
    """A change names the revision it started from; a stale one answers 409."""

    base_revision = serializers.IntegerField(min_value=0, max_value=MAX_NUMBER)
    title = serializers.CharField(max_length=200, required=False)
    body = serializers.CharField(allow_blank=True, trim_whitespace=False, required=False)
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)
    tags = TagListField(required=False)
    message = serializers.CharField(max_length=300, required=False, allow_blank=True)

    FORBIDDEN = {
        "status": "The status changes through POST …/status/ or …/publish/.",
        "provider": "Documents do not move between providers.",
        "creator": "The creator is set by the server.",
        "revision": "Revisions are numbered by the server; send base_revision.",
        "slug": "A slug never changes.",
    }

    def validate(self, attrs):
        errors = {k: [v] for k, v in self.FORBIDDEN.items() if k in self.initial_data}
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


def serializers_for(spec) -> tuple[type, type, type]:
    """(read, create, patch) serializers of a kind: the shared ones, plus the kind's own fields
    from its registry entry (`runbooks.kinds`)."""
    if not spec.fields and not spec.api_read_only:
        return DocumentSerializer, DocumentWriteSerializer, DocumentPatchSerializer
    name = spec.model.__name__
    own = [*spec.field_names, *spec.relation_names, *spec.api_read_only]
    meta = type("Meta", (DocumentSerializer.Meta,), {"model": spec.model})
    meta.fields = meta.read_only_fields = [*DocumentSerializer.Meta.fields, *own]
    declared = {n: factory() for n, factory in spec.api_read_only.items() if factory}
    declared |= {f.name: f.api_field(read_only=True) for f in spec.fields}
    declared |= {r.name: r.read_field() for r in spec.relations}
    read = type(f"{name}Serializer", (DocumentSerializer,), {"Meta": meta, **declared})
    write = type(f"{name}WriteSerializer", (DocumentWriteSerializer,), _writable(spec))
    patch = type(f"{name}PatchSerializer", (DocumentPatchSerializer,), _writable(spec))
    return read, write, patch


def _writable(spec) -> dict:
    """Fresh field instances (a field belongs to one serializer) for the kind's own fields."""
    fields = {f.name: f.api_field(required=False) for f in spec.fields}
    return fields | {r.name: r.api_field(required=False) for r in spec.relations}


class RevisionSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", read_only=True, allow_null=True)

    class Meta:
        model = Revision
        fields = ["number", "title", "author", "message", "parent", "created_at"]
        read_only_fields = fields


class RevisionDetailSerializer(RevisionSerializer):
    class Meta(RevisionSerializer.Meta):
        fields = [*RevisionSerializer.Meta.fields, "body", "html"]
        read_only_fields = fields


class DiffSerializer(serializers.Serializer):
    from_ = serializers.IntegerField()
    to = serializers.IntegerField()
    unified = serializers.CharField()

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


class DiffQuerySerializer(serializers.Serializer):
    from_ = serializers.IntegerField(min_value=1, max_value=MAX_NUMBER, required=False)
    to = serializers.IntegerField(min_value=1, max_value=MAX_NUMBER, required=False)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields

    def validate(self, attrs):
        if "from" in attrs and "to" in attrs and attrs["from"] > attrs["to"]:
            raise serializers.ValidationError({"from": ["“from” must not be after “to”."]})
        return attrs


class RestoreSerializer(serializers.Serializer):
    revision = serializers.IntegerField(min_value=1, max_value=MAX_NUMBER)
    base_revision = serializers.IntegerField(min_value=0, max_value=MAX_NUMBER)


class PublishSerializer(serializers.Serializer):
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)
    embargo_until = serializers.DateTimeField(required=False, allow_null=True)


class StatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices)


class TagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["slug", "label"]
        read_only_fields = fields


class ProviderSerializer(serializers.ModelSerializer):
    website = serializers.CharField(
        source="website_link", read_only=True, help_text="The provider's site, or empty."
    )
    status_page = serializers.CharField(
        source="status_page_link", read_only=True, help_text="Its status page, or empty."
    )
    url = serializers.SerializerMethodField()

    class Meta:
        model = Provider
        fields = ["slug", "name", "website", "status_page", "url"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, provider) -> str:
        return absolute(provider.get_absolute_url(), self.context.get("request"))


class MatcherSerializer(serializers.Serializer):
    label = serializers.RegexField(r"^[a-zA-Z_][a-zA-Z0-9_]*$", max_length=200)
    op = serializers.ChoiceField(choices=["=", "!=", "=~", "!~"])
    value = serializers.CharField(max_length=1024, allow_blank=True, trim_whitespace=False)


class AlertRouteSerializer(serializers.ModelSerializer):
    """A route: alert name + matchers (+ provider scope) → runbook (DESIGN §3, §4)."""

    runbook = serializers.SlugRelatedField(slug_field="slug", queryset=Runbook.objects.all())
    provider = serializers.SlugRelatedField(
        slug_field="slug", queryset=Provider.objects.all(), allow_null=True, required=False
    )
    matchers = MatcherSerializer(many=True, required=False)
    priority = serializers.IntegerField(min_value=-1000, max_value=1000, required=False)

    class Meta:
        model = AlertRoute
        fields = ["id", "runbook", "alertname", "matchers", "provider", "priority"]
        read_only_fields = ["id"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:  # only runbooks the caller may see can be named
            self.fields["runbook"].queryset = Runbook.objects.visible_to(request.user)


class ResolvedRunbookSerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    url = serializers.URLField()
    provider = serializers.CharField(allow_null=True)
    component = serializers.CharField()


class ResolutionSerializer(serializers.Serializer):
    runbook = ResolvedRunbookSerializer()
    route = AlertRouteSerializer()


class AlertSerializer(serializers.ModelSerializer):
    provider = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    runbook = serializers.SerializerMethodField(help_text="Slug, when the caller may see it.")
    labels = serializers.DictField(child=serializers.CharField(), read_only=True)
    annotations = serializers.DictField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Alert
        fields = [
            "id",
            "fingerprint",
            "alertname",
            "status",
            "labels",
            "annotations",
            "starts_at",
            "ends_at",
            "provider",
            "runbook",
            "first_seen",
            "last_seen",
            "notifications",
            "source",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_runbook(self, alert) -> str | None:
        # Staff see every alert, but a private runbook's slug only if they may see it.
        visible = getattr(alert, "runbook_visible", False)
        return alert.runbook.slug if alert.runbook_id and visible else None
