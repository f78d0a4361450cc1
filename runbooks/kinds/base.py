"""What a kind is made of: data only. Only models and the form/serializer field libraries are
imported here, so every layer above (services, forms, API, views) may ask a kind about itself;
what a kind adds to those layers (pages, API actions, the services saving its relations) is
registered by each of them, keyed by kind (`views/kinds.py`, `api/documents.py`,
`services/kinds.py`)."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from rest_framework import serializers

from runbooks.filters import DocumentFilter
from runbooks.models import Document


@dataclass(frozen=True)
class DetailField:
    """One field of a kind's own: its form field, its API field, and how a value is tidied."""

    name: str
    form_field: Callable[[], forms.Field]
    api_field: Callable[..., serializers.Field]
    tidy: Callable[[Any], Any] = lambda value: value
    form_value: Callable[[Any], Any] = lambda value: value  # the stored value as a form shows it
    # Where a new document's form asks for it: before the text ("head") or after it ("tail").
    placement: str = "head"


@dataclass(frozen=True)
class Relation:
    """A field of a kind that is a set of links, not a column (a post-mortem's runbooks used,
    its alerts): its API field and how it reads. The service that replaces it is the
    services' (`services/kinds.py`), called inside the write's transaction."""

    name: str
    api_field: Callable[..., serializers.Field]
    read_field: Callable[[], serializers.Field]
    # Asked in the pages' forms too (a report's runbook): the form field, and the stored value
    # as the edit form shows it. Without one, the pages change it elsewhere (post-mortems).
    form_field: Callable[[], forms.Field] | None = None
    form_value: Callable[[Document], Any] = lambda document: None


@dataclass(frozen=True)
class KindSpec:
    kind: str
    label: str
    model: type[Document]
    url_prefix: str
    default_status: str
    default_visibility: str
    fields: tuple[DetailField, ...] = ()
    relations: tuple[Relation, ...] = ()
    # Read-only API fields beyond `fields`: a name, and a factory for those that are not
    # model columns (None for a column).
    api_read_only: dict[str, Callable[[], serializers.Field] | None] = field(default_factory=dict)
    # Relations the API reads with every document: names, or f(user) -> Prefetch for those
    # read as the caller may see them.
    api_prefetch: tuple[str | Callable[[Any], models.Prefetch], ...] = ()
    # Template parts the kind adds to the shared pages, by slot: "banner" (above the title),
    # "meta" (badges), "status" (below the badges), "actions" (buttons), "body" (the text, in
    # place of the plain one), "after" (below the text), "filters" (list page), "history"
    # (history page, below the revisions); "offline_meta": the badges as the offline copy shows
    # them (else "meta"); "offline_banner": the alert that opened the copy's page from its
    # look-up (filled in by static/offline.js).
    parts: dict[str, str] = field(default_factory=dict)
    # The kind's own foreign keys read with every document of a listing (one join each).
    select_related: tuple[str, ...] = ()
    filterset: type | None = None  # the kind's FilterSet (page list and API list alike)
    # Alert routes lead to documents of this kind: its new-document form names an alert,
    # search indexes the alert names routed to it.
    routable: bool = False
    # Rules across the kind's fields (an incident ends after it starts): ValidationError with
    # field names; called on the document with the new values applied, before any write.
    check: Callable[[Document], None] = lambda document: None
    body_template: str = ""  # the text a new document of this kind starts with
    on_create: Callable[[Document], None] = lambda document: None
    on_change: Callable[[Document, set[str]], set[str]] = lambda document, changed: set()

    @property
    def filters(self) -> type:
        return self.filterset or DocumentFilter

    @property
    def relation_names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.relations)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def form_relations(self) -> tuple[Relation, ...]:
        return tuple(r for r in self.relations if r.form_field)

    def new(self, **values) -> Document:
        """An unsaved document of this kind (its own fields from `values`, tidied)."""
        document = self.model(kind=self.kind)
        for name, value in values.items():
            setattr(document, name, value)
        self.apply(document, {})
        return document

    def apply(self, document: Document, values: dict) -> set[str]:
        """Set this kind's own fields from `values`; the names of the columns that changed."""
        changed = set()
        for spec in self.fields:
            if spec.name not in values:
                continue
            value = values[spec.name]
            value = spec.tidy(value) if value is not None else _cleared(document, spec.name)
            if getattr(document, spec.name) != value:
                setattr(document, spec.name, value)
                changed.add(spec.name)
        return changed | self.on_change(document, changed) if changed else changed

    def initial(self, document: Document) -> dict:
        fields = {spec.name: spec.form_value(getattr(document, spec.name)) for spec in self.fields}
        return fields | {r.name: r.form_value(document) for r in self.form_relations}


def _cleared(document: Document, name: str):
    """What `None` (an emptied form field, JSON null) sets a field to: NULL where the column
    allows it, empty text where text may be blank; a field that must hold a value refuses."""
    column = document._meta.get_field(name)
    if column.null:
        return None
    if column.blank and isinstance(column, models.CharField | models.TextField):
        return ""
    raise ValidationError({name: "This field needs a value."})


@dataclass
class Registry:
    kinds: dict[str, KindSpec] = field(default_factory=dict)

    def register(self, spec: KindSpec) -> KindSpec:
        self.kinds[spec.kind] = spec
        return spec

    def __getitem__(self, kind: str) -> KindSpec:
        return self.kinds[kind]

    def __iter__(self):
        return iter(self.kinds.values())
