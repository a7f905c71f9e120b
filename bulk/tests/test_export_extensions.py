"""`manage.py export_extensions`: the secrets and the mailbox PIN unless told to leave them out."""

import io

import pytest
from django.core.management import call_command

from bulk.tests.helpers import command_export
from directory.devices.models import Device
from directory.users.extensions import extension_create

pytestmark = pytest.mark.django_db


def test_export_includes_secrets_unless_asked_not_to(committed, tmp_path):
    committed(extension_create, extension="1000", name="A", tech="sip")
    secret = Device.objects.get(pk="1000").endpoint.settings["secret"]
    assert secret in command_export()
    assert secret not in command_export("--without-secrets")
    target = tmp_path / "out.csv"
    call_command("export_extensions", str(target), stdout=io.StringIO())
    assert target.read_text().startswith("extension,password,name,")


def test_the_mailbox_pin_is_exported_only_with_the_secrets(committed):
    committed(extension_create, extension="2001", name="Ana", tech="custom", dial="Local/1@x", voicemail="default",
              vm_pin="9876")  # fmt: skip
    assert "voicemail_vmpwd" in command_export() and "9876" in command_export()
    without = command_export("--without-secrets")
    assert "voicemail_vmpwd" not in without and "9876" not in without
    users = command_export("--kind", "users", "--without-secrets")
    assert "9876" not in users
