"""Operator organisations and the people who belong to them."""

from django.conf import settings
from django.db import models
from django.urls import reverse

from runbooks.inputs import http_url_or_empty, validate_http_url


class Provider(models.Model):
    """An operator organisation, e.g. a public cloud built on the Sovereign Cloud Stack."""

    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    website = models.URLField(blank=True, validators=[validate_http_url])
    status_page_url = models.URLField(
        blank=True,
        max_length=2000,
        validators=[validate_http_url],
        help_text="The provider's public status page; alert pages link to it.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("provider-detail", args=[self.slug])

    @property
    def website_link(self) -> str:
        """The website, when it is safe to link to (rows from before URLs were checked)."""
        return http_url_or_empty(self.website)

    @property
    def status_page_link(self) -> str:
        return http_url_or_empty(self.status_page_url)


class Role(models.TextChoices):
    """Roles grow: an editor may do all a reader may, an admin all an editor may."""

    READER = "reader", "Reader"
    EDITOR = "editor", "Editor"
    ADMIN = "admin", "Admin"


ROLE_RANK = {Role.READER: 1, Role.EDITOR: 2, Role.ADMIN: 3}


class Membership(models.Model):
    """A user's role at one provider."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.READER)
    created_at = models.DateTimeField(auto_now_add=True)
    # Made by an identity provider's groups claim at sign-in (runbooks/oidc.py): it goes when
    # the group goes. Memberships made here (add_member) are never touched by a claim.
    from_claim = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "provider"], name="one_membership_per_provider")
        ]
        ordering = ["provider__name", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} ({self.role} at {self.provider})"


def roles_of(user) -> dict[int, str]:
    """{provider_id: role} for `user`, read once per request and kept on the user object."""
    if not user.is_authenticated:
        return {}
    cached = getattr(user, "_openops_roles", None)
    if cached is None:
        cached = dict(Membership.objects.filter(user=user).values_list("provider_id", "role"))
        user._openops_roles = cached
    return cached
