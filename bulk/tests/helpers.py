"""What the bulk tests share: a CSV text from rows, the export command's output, and the check
that nothing was saved."""

import io

from django.core.management import call_command

from directory.devices.models import Device
from directory.users.models import PbxUser

HEADER = "extension,name,tech,secret,outboundcid,voicemail,ringtimer,nat"


def csv_text(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def command_export(*args) -> str:
    """What `manage.py export_extensions` writes, with these arguments."""
    out = io.StringIO()
    call_command("export_extensions", *args, stdout=out)
    return out.getvalue()


def nothing_changed():
    assert not PbxUser.objects.exists() and not Device.objects.exists()
