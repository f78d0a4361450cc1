"""/admin/ has every model, and its pages open for a superuser."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from runbooks.actors import SYSTEM
from runbooks.services import people


def test_every_model_of_the_app_is_in_the_admin():
    missing = [
        m.__name__
        for m in apps.get_app_config("runbooks").get_models()
        if m not in admin.site._registry
    ]
    assert missing == []


@pytest.mark.parametrize("model", list(apps.get_app_config("runbooks").get_models()))
def test_each_admin_list_opens(client, db, model):
    superuser = people.ensure_user(
        "root", "root-password-1", is_staff=True, is_superuser=True, actor=SYSTEM
    )
    client.force_login(superuser)
    url = reverse(f"admin:runbooks_{model._meta.model_name}_changelist")
    assert client.get(url).status_code == 200
