"""Top-level URLs: pages from the runbooks app, the API, accounts and admin."""

from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularSwaggerSplitView

from runbooks import oidc
from runbooks.signin import SignInView, SignOutView

# Swagger UI sets style attributes from its scripts, which a strict style-src blocks (the page
# would lose its layout); its scripts stay strict: they come from our static files.
api_docs = csp_update({"style-src": ["'unsafe-inline'"]})(
    SpectacularSwaggerSplitView.as_view(url_name="schema")
)

urlpatterns = [
    path("accounts/login/", SignInView.as_view(), name="login"),
    path("accounts/logout/", SignOutView.as_view(), name="logout"),
    path("accounts/oidc/", include(oidc.urlpatterns)),
    path("admin/", admin.site.urls),
    path("api/v1/", include("runbooks.api.urls")),
    path("api/schema/", SpectacularJSONAPIView.as_view(), name="schema"),
    path("api/docs/", api_docs, name="api-docs"),
    path("", include("runbooks.urls")),
]

# Answers under /api/ stay JSON even when Django itself answers (DESIGN §6).
handler400 = "runbooks.api.errors.bad_request"
handler403 = "runbooks.api.errors.permission_denied"
handler404 = "runbooks.api.errors.not_found"
handler500 = "runbooks.api.errors.server_error"
