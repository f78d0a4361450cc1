"""Admin for every model: a maintainer's escape hatch, not the main interface.

Revisions are read-only here: history is never edited, not even by staff.
"""

from django.contrib import admin

from runbooks.models import (
    Alert,
    AlertEvent,
    AlertRoute,
    Document,
    InboxEntry,
    Membership,
    Provider,
    RateCounter,
    Revision,
    RunbookMiss,
    Tag,
    Token,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "website"]
    search_fields = ["slug", "name"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "provider", "role"]
    list_filter = ["role", "provider"]
    search_fields = ["user__username", "provider__slug"]
    autocomplete_fields = ["user", "provider"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
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
class DocumentAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "provider", "status", "visibility", "updated_at"]
    list_filter = ["kind", "status", "visibility", "provider"]
    search_fields = ["title", "slug"]
    readonly_fields = ["current_revision", "creator", "created_at", "updated_at", "review_due_at"]
    filter_horizontal = ["tags"]
    inlines = [RevisionInline]


@admin.register(Revision)
class RevisionAdmin(admin.ModelAdmin):
    list_display = ["document", "number", "author", "created_at"]
    search_fields = ["document__title"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Token)
class TokenAdmin(admin.ModelAdmin):
    """Tokens are issued from the account page or `issue_token`; here they can be revoked."""

    list_display = ["name", "prefix", "user", "provider", "scopes", "last_used_at", "revoked_at"]
    list_filter = ["provider"]
    search_fields = ["name", "prefix", "user__username"]
    readonly_fields = [
        "prefix",
        "digest",
        "scopes",
        "user",
        "provider",
        "created_at",
        "last_used_at",
    ]

    def has_add_permission(self, request):
        return False


@admin.register(AlertRoute)
class AlertRouteAdmin(admin.ModelAdmin):
    list_display = ["alertname", "provider", "runbook", "priority", "created_at"]
    list_filter = ["provider"]
    search_fields = ["alertname", "runbook__slug"]
    readonly_fields = ["alertname_key", "created_by", "created_at"]
    autocomplete_fields = ["runbook"]


@admin.register(RunbookMiss)
class RunbookMissAdmin(admin.ModelAdmin):
    list_display = ["alertname", "provider", "count", "last_seen"]
    search_fields = ["alertname"]


@admin.register(InboxEntry)
class InboxEntryAdmin(admin.ModelAdmin):
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
class AlertAdmin(admin.ModelAdmin):
    list_display = ["alertname", "provider", "status", "starts_at", "last_seen", "runbook"]
    list_filter = ["status", "source", "provider"]
    search_fields = ["alertname", "fingerprint"]
    readonly_fields = [f.name for f in Alert._meta.fields]
    inlines = [AlertEventInline]

    def has_add_permission(self, request):
        return False


@admin.register(AlertEvent)
class AlertEventAdmin(admin.ModelAdmin):
    list_display = ["alert", "status", "received_at"]
    list_filter = ["status"]
    readonly_fields = ["alert", "inbox_entry", "status", "received_at"]

    def has_add_permission(self, request):
        return False


@admin.register(RateCounter)
class RateCounterAdmin(admin.ModelAdmin):
    """Rate-limit windows, for looking at who sends how much; counted by the app alone."""

    list_display = ["key", "window", "count"]
    search_fields = ["key"]
    readonly_fields = ["key", "window", "count"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
