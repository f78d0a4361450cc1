"""The OpenAPI schema: generated without warnings, served, and documented in a local UI."""

from django.core.management import call_command


def test_the_schema_generates_without_a_single_warning(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))


def test_the_schema_is_served_as_json_and_lists_errors_for_every_operation(client, db):
    response = client.get("/api/schema/")
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert {"400", "401", "403", "404"} <= set(operation["responses"]), (method, path)


def test_the_docs_page_uses_only_local_assets(client, db):
    page = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in page
    assert "cdn" not in page.lower() and "<script>" not in page.replace(" ", "")
