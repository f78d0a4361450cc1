"""Sign-in helpers: the username that failed sign-ins are counted under (django-axes)."""

from runbooks.inputs import clean_text

MAX_USERNAME = 150  # Django's username length; axes stores it in a 255-character column


def counted_username(request, credentials: dict | None = None) -> str | None:
    """The username axes counts failures under, as sent, but storable: no NUL or lone
    surrogates, and no longer than a username can be (a longer one can match no account)."""
    source = credentials if credentials else getattr(request, "POST", {})
    username = source.get("username") if source else None
    if not isinstance(username, str):
        return None
    return clean_text(username)[:MAX_USERNAME]
