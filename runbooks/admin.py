"""Admin for every model: a maintainer's escape hatch, not the main interface.

Every model admin either only reads (documents, revisions, alerts, inbox, counters) or saves
through the services with their validation (providers, routes); a test keeps it so. Documents
are changed in the pages and the API, where revisions, slugs and statuses keep their rules.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from runbooks import alerting
from runbooks.models import (
    ActionItem,
    Alert,
    AlertEvent,
    AlertRoute,
    AuditEntry,
    ChatDelivery,
    ChatTarget,
    Comment,
    Document,
    Event,
    Heartbeat,
    InboxEntry,
    MailPreference,
    Membership,
    Notification,
    OfflineCopy,
    Postmortem,
    Provider,
    RateCounter,
    Report,
    Revision,
    RouteChange,
    Runbook,
    RunbookMiss,
    RunbookUse,
    SearchEntry,
    Subscription,
    Tag,
    Token,
)
from runbooks.services import people, routes, tokens


class ReadOnlyAdmin(admin.ModelAdmin):
    """Look, never touch: nothing is added, changed or deleted here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    readonly_fields = ["user", "role", "created_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    """Name, website and status page through `services.people.create_provider` (its URL
    checks included);
    memberships are shown here and changed with `add_member`."""

    list_display = ["slug", "name", "website", "status_page_url"]
    search_fields = ["slug", "name"]
    inlines = [MembershipInline]

    def get_readonly_fields(self, request, obj=None):
        return ["slug"] if obj else []

    def save_model(self, request, obj, form, change):
        try:
            saved, _ = people.create_provider(
                obj.slug,
                obj.name,
                obj.website,
                actor=request.user,
                status_page_url=obj.status_page_url,
            )
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None
        obj.pk = saved.pk

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ["user", "provider", "role"]
    list_filter = ["role", "provider"]
    search_fields = ["user__username", "provider__slug"]


@admin.register(Tag)
class TagAdmin(ReadOnlyAdmin):
    list_display = ["slug", "label"]
    search_fields = ["slug", "label"]


class RevisionInline(admin.TabularInline):
    model = Revision
    fields = ["number", "title", "author", "message", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    list_display = ["title", "kind", "provider", "status", "visibility", "updated_at"]
    list_filter = ["kind", "status", "visibility", "provider"]
    search_fields = ["title", "slug"]
    inlines = [RevisionInline]


@admin.register(Runbook)
class RunbookAdmin(ReadOnlyAdmin):
    list_display = ["title", "component", "provider", "review_due_at", "updated_at"]
    list_filter = ["provider"]
    search_fields = ["title", "slug", "component"]


@admin.register(Postmortem)
class PostmortemAdmin(ReadOnlyAdmin):
    list_display = ["title", "severity", "provider", "status", "incident_start", "updated_at"]
    list_filter = ["severity", "status", "provider"]
    search_fields = ["title", "slug"]


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = ["title", "outcome", "subject", "provider", "status", "updated_at"]
    list_filter = ["outcome", "status", "provider"]
    search_fields = ["title", "slug"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """The audit log is append-only: the admin shows it, like /audit/, and changes nothing."""

    list_display = ["at", "actor_name", "action", "count", "target", "provider", "via", "address"]
    list_filter = ["action", "via", "provider"]
    search_fields = ["actor_name", "target"]
    date_hierarchy = "at"


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdmin):
    """Moderators hide comments in the pages, with a reason; here they only look."""

    list_display = ["document", "author", "provider", "created_at", "hidden_at", "deleted_at"]
    list_filter = ["provider"]
    search_fields = ["body", "author__username"]


@admin.register(ChatTarget)
class ChatTargetAdmin(ReadOnlyAdmin):
    """Set up by the provider's admins on their provider's page; the token is never shown."""

    list_display = ["name", "kind", "provider", "last_sent_at", "last_error"]
    exclude = ["access_token"]


@admin.register(ChatDelivery)
class ChatDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["event", "target", "attempts", "sent_at", "failed_at"]


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["kind", "document", "actor", "created_at", "fanned_out_at"]
    list_filter = ["kind"]


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = ["user", "document", "tag", "provider", "created_at"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["recipient", "event", "reason", "created_at", "read_at", "mailed_at"]
    list_filter = ["reason"]


@admin.register(MailPreference)
class MailPreferenceAdmin(ReadOnlyAdmin):
    list_display = ["user", "mode", "last_digest_at"]


@admin.register(SearchEntry)
class SearchEntryAdmin(ReadOnlyAdmin):
    """What search reads; `manage.py rebuild_search_index` rewrites it."""

    list_display = ["document", "title"]
    search_fields = ["title"]
    exclude = ["vector"]


@admin.register(Revision)
class RevisionAdmin(ReadOnlyAdmin):
    list_display = ["document", "number", "author", "created_at"]
    search_fields = ["document__title"]


@admin.register(OfflineCopy)
class OfflineCopyAdmin(ReadOnlyAdmin):
    """Each user's offline copy, without its zip (which only its user downloads)."""

    list_display = ["user", "state", "provider", "size", "requested_at", "expires_at"]
    list_filter = ["state"]
    search_fields = ["user__username"]
    exclude = ["archive", "key"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("archive")


@admin.register(Token)
class TokenAdmin(ReadOnlyAdmin):
    """Tokens are issued from the account page or `issue_token`; here they can be revoked."""

    list_display = ["name", "prefix", "user", "provider", "scopes", "last_used_at", "revoked_at"]
    list_filter = ["provider"]
    search_fields = ["name", "prefix", "user__username"]
    exclude = ["digest"]
    actions = ["revoke"]

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        for token in queryset:
            tokens.revoke_token(token, actor=request.user)

    def has_revoke_permission(self, request):
        return request.user.is_superuser


class AlertRouteForm(forms.ModelForm):
    """Matchers as Alertmanager text (`severity="critical", namespace=~"kube-.*"`)."""

    matchers_text = forms.CharField(label="Matchers", required=False, max_length=4000)

    class Meta:
        model = AlertRoute
        fields = ["alertname", "runbook", "provider", "priority"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            matchers = alerting.matchers_from_dicts(self.instance.matchers)
            self.initial["matchers_text"] = ", ".join(str(m) for m in matchers)

    def clean_matchers_text(self):
        try:
            parsed = alerting.parse_matchers(self.cleaned_data["matchers_text"])
        except alerting.MatcherError as exc:
            raise ValidationError(str(exc)) from None
        return [m.as_dict() for m in parsed]


@admin.register(AlertRoute)
class AlertRouteAdmin(admin.ModelAdmin):
    """Routes save through `services.routes.save_route`: the name's case-folded key, where the
    route may lead and every matcher are checked there, so none can be stale or broken."""

    form = AlertRouteForm
    list_display = ["alertname", "provider", "runbook", "priority", "created_at"]
    list_filter = ["provider"]
    search_fields = ["alertname", "runbook__slug"]
    readonly_fields = ["created_by", "created_at"]
    autocomplete_fields = ["runbook"]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        saved = routes.save_route(
            actor=request.user,
            alertname=data["alertname"],
            runbook=data["runbook"],
            provider=data["provider"],
            matchers=data["matchers_text"],
            priority=data["priority"],
            route=AlertRoute.objects.get(pk=obj.pk) if change else None,
        )
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        routes.delete_route(obj, actor=request.user)

    def has_delete_permission(self, request, obj=None):
        return False  # bulk deletes would go around the service; delete on the runbook page


@admin.register(RunbookMiss)
class RunbookMissAdmin(ReadOnlyAdmin):
    list_display = ["alertname", "provider", "count", "last_seen"]
    search_fields = ["alertname"]


@admin.register(InboxEntry)
class InboxEntryAdmin(ReadOnlyAdmin):
    """Webhook bodies as received; a failed one can be inspected here (never edited)."""

    list_display = [
        "pk",
        "provider",
        "source",
        "alert_count",
        "received_at",
        "processed_at",
        "failed_at",
        "attempts",
    ]
    list_filter = ["source", "provider", ("failed_at", admin.EmptyFieldListFilter)]
    readonly_fields = [
        "provider",
        "token",
        "source",
        "body_text",
        "received_at",
        "processed_at",
        "failed_at",
        "attempts",
        "error",
        "alert_count",
        "truncated_alerts",
    ]
    exclude = ["body"]

    @admin.display(description="body (as received, decoded for reading)")
    def body_text(self, entry) -> str:
        return bytes(entry.body)[:200_000].decode("utf-8", errors="replace")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AlertEventInline(admin.TabularInline):
    model = AlertEvent
    fields = ["status", "received_at", "inbox_entry"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ["alertname", "provider", "status", "starts_at", "last_seen", "runbook"]
    list_filter = ["status", "source", "provider"]
    search_fields = ["alertname", "fingerprint"]
    readonly_fields = [f.name for f in Alert._meta.fields]
    inlines = [AlertEventInline]

    def has_add_permission(self, request):
        return False


@admin.register(AlertEvent)
class AlertEventAdmin(ReadOnlyAdmin):
    list_display = ["alert", "status", "received_at"]
    list_filter = ["status"]
    readonly_fields = ["alert", "inbox_entry", "status", "received_at"]

    def has_add_permission(self, request):
        return False


@admin.register(RateCounter)
class RateCounterAdmin(ReadOnlyAdmin):
    """Rate-limit windows, for looking at who sends how much; counted by the app alone."""

    list_display = ["key", "window", "count"]
    search_fields = ["key"]
    readonly_fields = ["key", "window", "count"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Heartbeat)
class HeartbeatAdmin(ReadOnlyAdmin):
    """When a worker last finished a task (what /readyz/ reads); written by the workers alone."""

    list_display = ["name", "at"]
    readonly_fields = ["name", "at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RouteChange)
class RouteChangeAdmin(ReadOnlyAdmin):
    list_display = ["alertname", "action", "provider", "runbook", "actor", "at"]
    list_filter = ["action", "provider"]
    search_fields = ["alertname"]


@admin.register(ActionItem)
class ActionItemAdmin(ReadOnlyAdmin):
    list_display = ["title", "postmortem", "owner", "due_date", "status"]
    list_filter = ["status"]
    search_fields = ["title"]


@admin.register(RunbookUse)
class RunbookUseAdmin(ReadOnlyAdmin):
    list_display = ["runbook", "postmortem", "revision", "verdict"]
    list_filter = ["verdict"]
