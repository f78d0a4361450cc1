"""docker-compose.yml cannot run here (no Docker engine), so its shape is checked instead."""

from pathlib import Path

import yaml

COMPOSE = yaml.safe_load(
    (Path(__file__).resolve().parent.parent / "docker-compose.yml").read_text()
)


def test_it_runs_database_cache_web_worker_and_beat():
    assert set(COMPOSE["services"]) >= {"db", "redis", "web", "worker", "beat"}


def test_every_service_has_a_healthcheck():
    for name, service in COMPOSE["services"].items():
        assert "healthcheck" in service, f"{name} has no healthcheck"


def test_web_migrates_then_serves_with_gunicorn_after_a_healthy_database():
    web = COMPOSE["services"]["web"]
    command = " ".join(web["command"]) if isinstance(web["command"], list) else web["command"]
    assert command.index("migrate") < command.index("gunicorn")
    assert web["depends_on"]["db"]["condition"] == "service_healthy"


def test_worker_and_beat_run_celery_against_the_same_broker():
    worker, beat = COMPOSE["services"]["worker"], COMPOSE["services"]["beat"]
    assert "celery" in str(worker["command"]) and "worker" in str(worker["command"])
    assert "celery" in str(beat["command"]) and "beat" in str(beat["command"])
    env = COMPOSE["x-environment"]
    assert env["CELERY_BROKER_URL"].startswith("redis://")
    assert env["DATABASE_URL"].startswith("postgres://")


def test_the_web_healthcheck_asks_if_it_is_ready():
    assert "/readyz/" in " ".join(COMPOSE["services"]["web"]["healthcheck"]["test"])


def test_gunicorn_workers_come_from_an_env_variable():
    assert "--workers ${WEB_CONCURRENCY:-3}" in " ".join(COMPOSE["services"]["web"]["command"])


def test_data_lives_in_named_volumes():
    assert set(COMPOSE["volumes"]) >= {"pgdata", "redisdata"}
    assert "pgdata:/var/lib/postgresql/data" in COMPOSE["services"]["db"]["volumes"]
    assert "redisdata:/data" in COMPOSE["services"]["redis"]["volumes"]


def test_no_secret_is_written_in_the_file():
    env = COMPOSE["x-environment"]
    assert env["SECRET_KEY"].startswith("${SECRET_KEY:?")
    assert "${POSTGRES_PASSWORD:?" in env["DATABASE_URL"]
    assert COMPOSE["services"]["db"]["environment"]["POSTGRES_PASSWORD"].startswith(
        "${POSTGRES_PASSWORD:?"
    )


def test_the_image_runs_as_a_user_without_root():
    dockerfile = (Path(__file__).resolve().parent.parent / "Dockerfile").read_text()
    users = [line.split()[1] for line in dockerfile.splitlines() if line.startswith("USER ")]
    assert users and users[-1] not in {"root", "0"}


def test_the_image_installs_the_apps_lock_with_its_hashes():
    dockerfile = (Path(__file__).resolve().parent.parent / "Dockerfile").read_text()
    assert "--require-hashes --no-deps -r requirements/main.txt" in dockerfile
    assert "pip install --no-cache-dir ." not in dockerfile  # never a resolve of the ranges
