"""Management commands of DESIGN §8: exact arguments, idempotence, clear failures."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from runbooks.models import Membership, Provider


def test_create_provider_creates_then_updates(db):
    call_command(
        "create_provider", "regio", "--name", "Regio Cloud", "--website", "https://r.example"
    )
    call_command("create_provider", "regio", "--name", "REGIO Cloud")
    provider = Provider.objects.get(slug="regio")
    assert provider.name == "REGIO Cloud" and Provider.objects.count() == 1


def test_create_provider_refuses_a_bad_slug(db):
    with pytest.raises(CommandError, match="not a valid slug"):
        call_command("create_provider", "Bad Slug", "--name", "x")
    assert not Provider.objects.exists()


def test_add_member_creates_the_user_and_updates_the_role(provider_a):
    call_command("add_member", "provider-a", "zoe", "--role", "reader", "--password", "pw-zoe-123")
    call_command("add_member", "provider-a", "zoe", "--role", "admin")
    user = get_user_model().objects.get(username="zoe")
    assert user.check_password("pw-zoe-123")
    assert Membership.objects.get(user=user).role == "admin"


@pytest.mark.parametrize(
    "args,message",
    [
        (["nowhere", "zoe", "--role", "reader"], "Unknown provider"),
        (["provider-a", "zoe", "--role", "owner"], "Unknown role"),
    ],
)
def test_add_member_refuses_unknown_names_and_creates_nothing(provider_a, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("add_member", *args)
    assert not get_user_model().objects.filter(username="zoe").exists()


def test_commands_exit_1_with_a_message(provider_a):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "manage.py", "add_member", "nowhere", "zoe", "--role", "owner"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "Unknown role 'owner'" in result.stderr


def _demo_counts() -> tuple:
    from runbooks.models import Alert, AlertEvent, AlertRoute, InboxEntry, RunbookMiss

    models = (Provider, Membership, AlertRoute, Alert, AlertEvent, InboxEntry, RunbookMiss)
    misses = sum(RunbookMiss.objects.values_list("count", flat=True))
    return (*(model.objects.count() for model in models), misses)


def test_seed_demo_is_idempotent(db):
    call_command("seed_demo")
    counts = _demo_counts()
    call_command("seed_demo")
    assert _demo_counts() == counts
    User = get_user_model()
    for username in ("alice", "bob", "dave", "carol"):
        assert User.objects.get(username=username).check_password("openops-demo")
    assert User.objects.get(username="carol").is_staff


def test_seed_demo_receives_a_month_of_alerts_through_the_intake(db):
    from datetime import timedelta

    from django.utils import timezone

    from runbooks.models import Alert, InboxEntry, RunbookMiss
    from runbooks.views.alerts import missing_alert_names

    call_command("seed_demo")
    alerts = Alert.objects.all()
    assert alerts.count() >= 30
    assert alerts.filter(status="firing").exists() and alerts.filter(status="resolved").exists()
    assert alerts.values("provider").distinct().count() >= 2
    assert alerts.filter(runbook__slug="ceph-osd-down").values("provider").distinct().count() >= 2
    month_ago = timezone.now() - timedelta(days=30)
    assert alerts.filter(starts_at__lt=month_ago).count() == 0
    assert alerts.filter(last_seen__lt=timezone.now() - timedelta(days=10)).exists()  # backdated
    assert not InboxEntry.objects.filter(processed_at__isnull=True).exists()
    missing = {row["name"] for row in missing_alert_names()}
    assert {"RabbitMQQueueGrowing", "SwiftProxyErrorRateHigh"} <= missing
    assert "CephOSDDown" not in missing
    assert RunbookMiss.objects.filter(provider__isnull=True).exists()
