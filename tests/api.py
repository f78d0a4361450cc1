"""Helpers for API tests: callers by persona or token, and validation against the schema."""

import json
from functools import cache

from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from openapi_core import OpenAPI
from openapi_core.contrib.django import DjangoOpenAPIRequest, DjangoOpenAPIResponse
from rest_framework.renderers import JSONRenderer


@cache
def openapi() -> OpenAPI:
    """The schema the project generates, as served at /api/schema/."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return OpenAPI.from_dict(json.loads(JSONRenderer().render(schema)))


def validate(response):
    """Fail unless the response (status, headers, body) is what the schema documents."""
    openapi().validate_response(
        DjangoOpenAPIRequest(response.wsgi_request), DjangoOpenAPIResponse(response)
    )
    return response


class ApiClient:
    """A JSON client that sends a bearer token or a session, and checks every answer."""

    def __init__(self, user=None, token: str | None = None):
        self.client = Client(enforce_csrf_checks=True)
        self.headers = {}
        if user is not None:
            self.client.force_login(user)
        if token is not None:
            self.headers["Authorization"] = f"Bearer {token}"

    def _call(self, method, path, data=None, **extra):
        kwargs = {"headers": {**self.headers, **extra.pop("headers", {})}, **extra}
        if data is not None:
            kwargs.setdefault("content_type", "application/json")
            if kwargs["content_type"] == "application/json" and not isinstance(data, str | bytes):
                data = json.dumps(data)
            kwargs["data"] = data
        response = getattr(self.client, method)(path, **kwargs)
        if response.status_code != 204:
            assert response["Content-Type"].startswith("application/json"), response.content[:200]
        return response

    def get(self, path, **extra):
        return self._call("get", path, **extra)

    def post(self, path, data=None, **extra):
        return self._call("post", path, data if data is not None else {}, **extra)

    def patch(self, path, data=None, **extra):
        return self._call("patch", path, data if data is not None else {}, **extra)

    def put(self, path, data=None, **extra):
        return self._call("put", path, data if data is not None else {}, **extra)

    def delete(self, path, **extra):
        return self._call("delete", path, **extra)
