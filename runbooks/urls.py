"""Page URLs (DESIGN §8). Each kind of document gets the same set under its own prefix."""

from django.urls import path, re_path, register_converter

from runbooks.kinds.registry import KINDS
from runbooks.views import (
    alerts,
    audit,
    changes,
    chat,
    comments,
    coverage,
    documents,
    health,
    home,
    kinds,
    links,
    notifications,
    offline,
    postmortems,
    providers,
    search,
    security,
    tokens,
)


class IdConverter:
    """A database id: at most 18 digits, so no URL can overflow a 64-bit column (404)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


class RevisionNumberConverter(IdConverter):
    regex = "[0-9]{1,9}"


register_converter(IdConverter, "id")
register_converter(RevisionNumberConverter, "revision")


def document_urls(spec) -> list:
    """The pages every kind has under its prefix, and the extra pages it registers."""
    view_kwargs = {"kind": spec.kind}
    pages = [
        ("", documents.document_list, "list"),
        ("new/", documents.document_new, "new"),
        ("<slug:slug>/", documents.document_detail, "detail"),
        ("<slug:slug>/edit/", documents.document_edit, "edit"),
        ("<slug:slug>/history/", documents.document_history, "history"),
        ("<slug:slug>/revisions/<revision:number>/", documents.revision_detail, "revision"),
        (
            "<slug:slug>/revisions/<revision:number>/restore/",
            documents.document_restore,
            "restore",
        ),
        ("<slug:slug>/diff/", documents.document_diff, "diff"),
        ("<slug:slug>/diff/download/", documents.document_diff_download, "diff-download"),
        ("<slug:slug>/publish/", documents.document_publish, "publish-page"),
        ("<slug:slug>/status/", documents.document_status, "status"),
        ("<slug:slug>/comments/", comments.comment_add, "comment-add"),
        ("<slug:slug>/comments/<id:comment_id>/edit/", comments.comment_edit, "comment-edit"),
        (
            "<slug:slug>/comments/<id:comment_id>/delete/",
            comments.comment_delete,
            "comment-delete",
        ),
        ("<slug:slug>/comments/<id:comment_id>/hide/", comments.comment_hide, "comment-hide"),
        *[(a.route, a.view, a.name) for a in kinds.pages_of(spec.kind).actions],
    ]
    return [
        path(f"{spec.url_prefix}/{route}", view, view_kwargs, name=f"{spec.kind}-{name}")
        for route, view, name in pages
    ]


urlpatterns = [
    path("", home.home, name="home"),
    path("healthz/", health.healthz, name="healthz"),
    path("readyz/", health.readyz, name="readyz"),
    path("csp-report/", security.csp_report, name="csp-report"),
    path("audit/", audit.audit_log, name="audit-log"),
    path("providers/<slug:slug>/", providers.provider_detail, name="provider-detail"),
    path("providers/<slug:slug>/chat/", chat.chat_targets, name="provider-chat"),
    path(
        "providers/<slug:slug>/status-page/",
        providers.status_page,
        name="provider-status-page",
    ),
    path("account/tokens/", tokens.token_list, name="token-list"),
    path("account/tokens/<id:pk>/revoke/", tokens.token_revoke, name="token-revoke"),
    path("account/offline/", offline.offline_copy, name="offline-copy"),
    path("coverage/", coverage.coverage, name="rule-coverage"),
    re_path(
        r"^account/offline/(?P<key>[A-Za-z0-9_-]{43})/download/$",
        offline.offline_download,
        name="offline-download",
    ),
    # /r/ links: case-insensitive names, with or without the trailing slash, no 301 hop.
    re_path(r"^r/?$", links.alert_link, name="alert-link-query"),
    re_path(r"^r/(?P<alertname>[^/]+)/?$", links.alert_link, name="alert-link"),
    re_path(
        r"^r/(?P<component>[^/]+)/(?P<alertname>[^/]+)/?$",
        links.alert_link,
        name="alert-link-component",
    ),
    path("alerts/", alerts.alert_list, name="alert-list"),
    path("alerts/missing/", alerts.alert_missing, name="alert-missing"),
    path("alerts/<id:pk>/", alerts.alert_detail, name="alert-detail"),
    path("search/", search.search_page, name="search"),
    path("action-items/", postmortems.action_item_list, name="action-item-list"),
    path("notifications/", notifications.notification_list, name="notification-list"),
    path("notifications/mail/", notifications.mail_settings, name="notification-mail"),
    path(
        "notifications/unsubscribe/<str:token>/",
        notifications.unsubscribe,
        name="notification-unsubscribe",
    ),
    path("watch/", notifications.watch, name="watch"),
    path("changes/", changes.changes, name="changes"),
    path("review/", changes.review, name="review"),
    path("feeds/changes/", changes.ChangesFeed(), name="feed-changes"),
    path("feeds/tags/<slug:slug>/", changes.TagFeed(), name="feed-tag"),
    path("feeds/providers/<slug:slug>/", changes.ProviderFeed(), name="feed-provider"),
    path("tags/", documents.tag_list, name="tag-list"),
    path("tags/<slug:slug>/", documents.tag_detail, name="tag-detail"),
    *[pattern for spec in KINDS for pattern in document_urls(spec)],
]
