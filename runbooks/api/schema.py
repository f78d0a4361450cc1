"""OpenAPI post-processing: every operation lists the errors it can answer (DESIGN §8)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension

ERROR_SCHEMA = {
    "type": "object",
    "description": "`detail` for general errors; field names map to lists of messages for 400.",
    "properties": {
        "detail": {"type": "string"},
        "current_revision": {"type": "integer", "description": "With 409 only."},
    },
    "additionalProperties": True,
}

DESCRIPTIONS = {
    "400": "The request is malformed or a field is invalid.",
    "401": "No valid credentials (WWW-Authenticate: Bearer).",
    "403": "Signed in, but not allowed (role or token scope).",
    "404": "Not found, not visible to the caller, or a page number past the end.",
    "409": "The document changed since base_revision.",
    "412": "If-Match named an ETag that is no longer the document's.",
    "413": "The request body is larger than allowed.",
    "414": "The URL is longer than 4096 characters.",
    "415": "The body is not JSON.",
    "429": "Too many writes from this token or user (OPENOPS_API_WRITE_RATE), or too many "
    "failed token authentications from this address; Retry-After gives the seconds to wait.",
}
RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}}


def _errors_for(method: str, path: str) -> list[str]:
    codes = ["400", "401", "403", "404", "414", "429"]
    if method in {"post", "put", "patch"}:
        codes += ["413", "415"]
    if method == "patch" or path.endswith("/restore/"):
        codes.append("409")
    if method in {"patch", "delete"} and path.endswith("{slug}/"):
        codes.append("412")
    return codes


def add_error_responses(result, generator, request, public):
    """drf-spectacular POSTPROCESSING_HOOKS entry."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    reference = {"$ref": "#/components/schemas/Error"}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for code in _errors_for(method, path):
                response = {
                    "description": DESCRIPTIONS[code],
                    "content": {"application/json": {"schema": reference}},
                }
                if code == "429":
                    response["headers"] = RETRY_AFTER
                responses.setdefault(code, response)
    return result


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Documents `Authorization: Bearer <token>` (registered on import, see apps.py)."""

    target_class = "runbooks.api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A token from /account/tokens/ or `manage.py issue_token`.",
        }
