"""/healthz/ and /readyz/ (DESIGN §8)."""

from unittest import mock

from django.db import connection


def test_healthz_answers_while_the_process_runs(client, db):
    response = client.get("/healthz/")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_reports_database_and_broker(client, db, settings):
    response = client.get("/readyz/")
    assert response.status_code == 200
    expected = "eager" if settings.CELERY_TASK_ALWAYS_EAGER else "ok"
    assert response.json() == {"database": "ok", "broker": expected}


def test_readyz_is_503_when_the_database_is_down(client, db):
    # The database cannot be stopped under a test; a cursor that fails is what the view sees.
    with mock.patch.object(connection, "cursor", side_effect=Exception("down")):
        response = client.get("/readyz/")
    assert response.status_code == 503
    assert response.json()["database"] == "down"
