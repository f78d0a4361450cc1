"""Admin for every model: a maintainer's escape hatch, not the main interface.

Revisions are read-only here: history is never edited, not even by staff.
"""

from django.contrib import admin

from runbooks.models import Document, Membership, Provider, Revision, Tag


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
