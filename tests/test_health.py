"""/healthz/ and /readyz/ (DESIGN §8)."""

from unittest import mock

from django.db import connection

from runbooks.services import heartbeats


def test_healthz_answers_while_the_process_runs(client, db):
    response = client.get("/healthz/")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_reports_database_broker_and_worker(client, db, settings):
    heartbeats.record()  # a worker ran a task just now (tests/test_worker_supervision.py)
    response = client.get("/readyz/")
    assert response.status_code == 200
    body = response.json()
    if settings.CELERY_TASK_ALWAYS_EAGER:
        assert body == {
            "database": "ok",
            "broker": "eager",
            "worker": "eager",
            "heartbeat_age": None,
        }
    else:
        assert (body["database"], body["broker"], body["worker"]) == ("ok", "ok", "ok")


def test_readyz_is_503_when_the_database_is_down(client, db):
    # The database cannot be stopped under a test; a cursor that fails is what the view sees.
    with mock.patch.object(connection, "cursor", side_effect=Exception("down")):
        response = client.get("/readyz/")
    assert response.status_code == 503
    assert response.json()["database"] == "down"
