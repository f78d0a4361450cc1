"""The API's JSON parser: strict, bounded in depth, with unstorable characters replaced."""

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from runbooks import inputs


class SafeJSONParser(JSONParser):
    """DRF's JSON parser, except that a body nested too deeply is a 400 (not a RecursionError
    and a 500) and NUL or lone surrogates in strings become U+FFFD (DESIGN §5, §6)."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding)
            return inputs.load_json(text)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f"JSON parse error: {exc}") from None
