from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from runbooks.actors import SYSTEM
from runbooks.management.base import AuditedCommand
from runbooks.models import Provider, Scope
from runbooks.services import tokens as token_services
from runbooks.services.base import NotAllowed


class Command(AuditedCommand):
    help = (
        "Issue an API token for a provider. The secret is printed once, alone on the last "
        "line, and never stored."
    )

    def add_arguments(self, parser):
        parser.add_argument("--provider", required=True, help="slug of the provider")
        parser.add_argument("--name", required=True, help="what the token is for")
        parser.add_argument(
            "--scope",
            action="append",
            required=True,
            dest="scopes",
            help=f"one of {', '.join(Scope.values)}; repeat for several",
        )
        parser.add_argument("--user", default=None, help="needed for read and write tokens")

    def handle(self, provider, name, scopes, user, **options):
        unknown = sorted(set(scopes) - set(Scope.values))
        if unknown:
            raise CommandError(
                f"Unknown scope {', '.join(map(repr, unknown))}: use {', '.join(Scope.values)}."
            )
        try:
            target = Provider.objects.get(slug=provider)
        except Provider.DoesNotExist:
            raise CommandError(f"Unknown provider {provider!r}.") from None
        owner = self._user(user)
        try:
            token, secret = token_services.issue_token(
                actor=SYSTEM, name=name, scopes=scopes, user=owner, provider=target
            )
        except NotAllowed as exc:
            raise CommandError(str(exc)) from None
        except ValidationError as exc:
            raise CommandError(_explain(exc)) from None
        acting = f" acting as {owner.get_username()}" if owner else ""
        self.stdout.write(
            f"Issued token {token.name!r} ({', '.join(token.scopes)}) "
            f"for {target.slug}{acting}. Copy it now; it is not shown again:"
        )
        # Alone on the last line, so scripts can take it with `tail -n 1`.
        self.stdout.write(secret)

    def _user(self, username):
        if username is None:
            return None
        try:
            return get_user_model().objects.get_by_natural_key(username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"Unknown user {username!r}.") from None


def _explain(exc: ValidationError) -> str:
    """The service's refusal, each part named by the option to fix, e.g. `--user: …`."""
    if not hasattr(exc, "error_dict"):
        return " ".join(exc.messages)
    parts = [
        f"--{'scope' if field == 'scopes' else field}: {' '.join(messages)}"
        for field, messages in exc.message_dict.items()
    ]
    return " ".join(parts)
