"""Forms for the pages. They validate input; the services do the writing."""

from django import forms
from django.core.exceptions import ValidationError

from runbooks import markdown
from runbooks.alerting import MatcherError, parse_matchers
from runbooks.choices import Status, Visibility
from runbooks.kinds.registry import KINDS
from runbooks.models import Provider, Scope
from runbooks.services.tags import parse_tags
from runbooks.visibility import (
    can_manage_route,
    may_send_alerts,
    member_providers,
    roles_of,
    writable_providers,
)

COMMUNITY = "community"  # the choice meaning "no provider"


class DocumentForm(forms.Form):
    """Title, Markdown and details of a document; `base_revision` guards against overwrites.
    The kind's own fields (a runbook's component and review interval) come from its registry
    entry (`runbooks.kinds`)."""

    title = forms.CharField(max_length=200)
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "true"}),
        required=False,
        help_text="Markdown: headings, lists, tables, fenced code blocks (```bash).",
    )
    tags = forms.CharField(
        required=False, help_text="Comma-separated, e.g. ceph, storage, on-call."
    )
    message = forms.CharField(
        max_length=300, required=False, label="What changed", help_text="Shown in the history."
    )
    base_revision = forms.IntegerField(
        widget=forms.HiddenInput,
        min_value=0,
        max_value=2**31 - 1,
        label="Revision we started from",
    )

    def __init__(self, *args, kind, user, audience: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.spec = KINDS[kind]
        for detail in self.spec.fields:
            field = self.fields[detail.name] = detail.form_field()
            if hasattr(field, "show_to"):  # what it suggests depends on what `user` may read
                field.show_to(user)
        for relation in self.spec.form_relations:
            self.fields[relation.name] = relation.form_field()
        if audience:  # shown to those who may change who reads it; left out: unchanged
            self.fields["visibility"] = visibility_field(required=False)
        self.order_fields(
            [
                "title",
                *self.relation_names,
                "body",
                "tags",
                *self.spec.field_names,
                "visibility",
                "message",
            ]
        )

    @property
    def relation_names(self) -> list[str]:
        return [relation.name for relation in self.spec.form_relations]

    @property
    def details(self) -> dict:
        """The kind's own fields, cleaned."""
        return {name: self.cleaned_data.get(name) for name in self.spec.field_names}

    @property
    def links(self) -> dict:
        """The kind's link fields asked in the form (a report's runbook), cleaned; an empty
        one is left out (unchanged, or the kind's default on create)."""
        values = {name: self.cleaned_data.get(name) for name in self.relation_names}
        return {name: value for name, value in values.items() if value not in (None, "")}

    def clean_body(self):
        body = markdown.normalise(self.cleaned_data["body"])
        markdown.check_size(body)
        return body

    def clean_tags(self):
        labels = self.cleaned_data["tags"].split(",")
        parse_tags(labels)
        return [label for label in labels if label.strip()]

    def clean_title(self):
        return " ".join(self.cleaned_data["title"].split())


def audiences(provider=None) -> list[tuple[str, str]]:
    """Who may read a document, each choice explained (DESIGN §3: the forms preselect none);
    for a document of `provider`, how many people each choice reaches."""
    providers = Provider.objects.count()
    choices = [
        (Visibility.PUBLIC, "Public — anyone on the internet, also without signing in"),
        (
            Visibility.COMMUNITY,
            f"Community — every signed-in operator of the {providers} providers here",
        ),
    ]
    if provider is None:
        choices.append((Visibility.PROVIDER, "Provider — only members of this document's provider"))
    else:
        members = provider.memberships.count()
        choices.append((Visibility.PROVIDER, f"{provider.name} only — its {members} members"))
    return choices


def visibility_field(required: bool = True, help_text: str = "") -> forms.ChoiceField:
    return forms.ChoiceField(
        label="Who may read it",
        choices=audiences(),
        required=required,
        widget=forms.RadioSelect,
        help_text=help_text,
    )


class NewDocumentForm(DocumentForm):
    """A new document also chooses where it lives and who may read it; a new runbook may name
    the alert whose link should open it (the route is made on save)."""

    provider = forms.ChoiceField(label="Provider")
    slug = forms.SlugField(
        max_length=200, required=False, help_text="Optional; made from the title when empty."
    )

    def __init__(self, *args, user, started_from: bool = False, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        released = self.spec.default_status == Status.PUBLISHED
        self.fields["visibility"] = visibility_field(
            help_text="It is published when you save it."
            if released
            else "It stays a private draft until it is published."
        )
        if started_from:  # carries what a new document was started from (its kind's page)
            self.fields["from_alert"] = forms.IntegerField(
                required=False,
                widget=forms.HiddenInput,
                min_value=1,
                max_value=2**63 - 1,
                label="Alert it was started from",
            )
            self.fields["from_runbook"] = forms.SlugField(
                required=False,
                widget=forms.HiddenInput,
                max_length=200,
                label="Runbook it was started from",
            )
        if self.spec.routable:
            self.fields["alertname"] = forms.CharField(
                max_length=200,
                required=False,
                label="Alert that opens it",
                help_text="Optional: /r/<this alert name> opens the new runbook at once.",
            )
            self.fields["matchers"] = forms.CharField(
                max_length=4000,
                required=False,
                label="Only when its labels match",
                help_text='Optional, with the alert: severity="critical", namespace=~"kube-.*"',
            )
        head = [f.name for f in self.spec.fields if f.placement == "head"]
        self.order_fields(
            [
                "title",
                "provider",
                "visibility",
                "slug",
                *self.relation_names,
                *head,
                "alertname",
                "matchers",
                "tags",
                "body",
            ]
        )
        self.providers = {str(p.pk): p for p in writable_providers(user)}
        choices = [(pk, p.name) for pk, p in self.providers.items()]
        if user.is_staff or self.providers:
            choices.append((COMMUNITY, "Community (no provider)"))
        self.fields["provider"].choices = choices
        del self.fields["base_revision"], self.fields["message"]

    def clean_matchers(self):
        try:
            return [m.as_dict() for m in parse_matchers(self.cleaned_data["matchers"])]
        except MatcherError as exc:
            raise ValidationError(str(exc)) from None

    def clean(self):
        data = super().clean()
        if data.get("matchers") and not (data.get("alertname") or "").strip():
            self.add_error("matchers", "Label matchers belong to an alert: name it too.")
        return data

    def clean_provider(self):
        value = self.cleaned_data["provider"]
        if value == COMMUNITY:
            return None
        if value not in self.providers:
            raise ValidationError("You are not an editor of that provider.")
        return self.providers[value]


class PublishForm(forms.Form):
    """Who will read it, from when. The choices say who exactly; none is preselected."""

    visibility = forms.ChoiceField(label="Who may read it", widget=forms.RadioSelect)
    embargo_until = forms.DateTimeField(
        label="Not before (UTC, optional)",
        required=False,
        input_formats=["%Y-%m-%dT%H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="An embargo: readers outside the provider see it from then on.",
    )

    def __init__(self, *args, document, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["visibility"].choices = audiences(document.provider)


# --- API tokens (/account/tokens/) -----------------------------------------------------------

NO_PROVIDER = ""


class TokenForm(forms.Form):
    """A new API token of the signed-in user: a name, scopes and, optionally, a provider.

    Tokens made here always act as their user. The provider may be any of the user's
    memberships; a token that sends alerts needs one where the user is editor or admin.
    """

    name = forms.CharField(max_length=100, help_text="What it is for, e.g. “Alertmanager prod”.")
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Sending alerts needs a provider where you are editor or admin.",
    )
    provider = forms.ChoiceField(required=False, label="Provider")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        roles = roles_of(user)
        self.providers = {str(p.pk): p for p in Provider.objects.filter(pk__in=roles)}
        self.fields["provider"].choices = [(NO_PROVIDER, "None")] + [
            (pk, f"{p.name} ({roles[p.pk]})") for pk, p in self.providers.items()
        ]

    def clean_name(self):
        return " ".join(self.cleaned_data["name"].split())

    def clean_provider(self):
        return self.providers.get(self.cleaned_data["provider"])

    def clean(self):
        data = super().clean()
        if Scope.ALERTS_WRITE in data.get("scopes", []) and "provider" not in self.errors:
            provider = data.get("provider")
            if provider is None:
                self.add_error("provider", "A token that sends alerts sends them for a provider.")
            elif not may_send_alerts(self.user, provider):
                self.add_error(
                    "provider",
                    f"Only editors and admins of {provider.name} may send its alerts.",
                )
        return data


class RouteForm(forms.Form):
    """An alert route on a runbook page, with matchers in Alertmanager's text form."""

    alertname = forms.CharField(max_length=200, label="Alert name")
    matchers = forms.CharField(
        required=False,
        max_length=4000,
        help_text='Optional, e.g. severity="critical", namespace=~"kube-.*"',
    )
    scope = forms.ChoiceField(label="For alerts of")
    priority = forms.IntegerField(initial=0, min_value=-1000, max_value=1000)

    def __init__(self, *args, user, runbook, **kwargs):
        super().__init__(*args, **kwargs)
        self.scopes = {}
        if can_manage_route(user, None, runbook):
            self.scopes[COMMUNITY] = None
        for provider in writable_providers(user):
            if can_manage_route(user, provider, runbook):
                self.scopes[str(provider.pk)] = provider
        self.fields["scope"].choices = [
            (key, provider.name if provider else "Everyone (community route)")
            for key, provider in self.scopes.items()
        ]

    def clean_scope(self):
        return self.scopes[self.cleaned_data["scope"]]

    def clean_matchers(self):
        try:
            return [m.as_dict() for m in parse_matchers(self.cleaned_data["matchers"])]
        except MatcherError as exc:
            raise ValidationError(str(exc)) from None


class OfflineCopyForm(forms.Form):
    """What an offline copy holds: everything the user may read, or one of their providers'
    documents with the community's."""

    provider = forms.ChoiceField(required=False, label="What to include")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        found = member_providers(user).order_by("name")
        self.providers = {p.slug: p for p in found}
        self.fields["provider"].choices = [("", "Everything I may read")] + [
            (slug, f"{p.name} and community documents") for slug, p in self.providers.items()
        ]

    def clean_provider(self):
        return self.providers.get(self.cleaned_data["provider"])


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented way)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".yaml,.yml"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, (list, tuple)):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)] if data else []


class CoverageForm(forms.Form):
    """Rule files to check: uploaded, pasted, or carried from the previous answer (to download
    them annotated). What to resolve them for: one of the user's providers, or none."""

    files = MultipleFileField(required=False, label="Rule files")
    text = forms.CharField(
        required=False,
        label="…or paste rules",
        strip=False,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "class": "code"}),
    )
    provider = forms.ChoiceField(required=False, label="Resolve as alerts of")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        found = member_providers(user).order_by("name")
        self.providers = {p.slug: p for p in found}
        self.fields["provider"].choices = [
            *((slug, p.name) for slug, p in self.providers.items()),
            ("", "No provider (community routes only)"),
        ]
        self.fields["provider"].initial = next(iter(self.providers), "")

    def clean_provider(self):
        return self.providers.get(self.cleaned_data["provider"])

    def sources(self) -> list[tuple[str, str]]:
        """(name, text) of every rule file given; ValidationError for one that is not text."""
        found = []
        for upload in self.cleaned_data["files"]:
            try:
                found.append((upload.name, upload.read().decode("utf-8")))
            except UnicodeDecodeError:
                raise ValidationError(f"{upload.name} is not UTF-8 text.") from None
        names = self.data.getlist("source_name")
        found += zip(names, self.data.getlist("source"), strict=False)
        if self.cleaned_data["text"].strip():
            found.append(("pasted rules", self.cleaned_data["text"]))
        if not found:
            raise ValidationError("Upload rule files or paste rules.")
        return found
