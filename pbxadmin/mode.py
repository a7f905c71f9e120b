"""Which pages the portal shows: extensions (default) or deviceanduser."""

from django.conf import settings

EXTENSIONS = "extensions"
DEVICE_AND_USER = "deviceanduser"


def pbx_mode() -> str:
    return settings.PBX_MODE
