"""The portal's management commands."""

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command


@pytest.mark.django_db
def test_ensure_admin_creates_one_administrator_once():
    out = io.StringIO()
    call_command("ensure_admin", stdout=out)
    assert "password: " in out.getvalue()
    password = out.getvalue().split("password: ")[1].split()[0]
    assert User.objects.get(username="admin").check_password(password)
    out = io.StringIO()
    call_command("ensure_admin", stdout=out)
    assert User.objects.count() == 1
    assert "already exists" in out.getvalue()
