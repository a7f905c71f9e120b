"""Which pages the portal shows: extensions (default) or deviceanduser.

The PBX_MODE environment variable gives the initial mode; the Settings page
changes it. The data model is the same in both.
"""

from django.db import transaction

from audit import trail
from portal.models import PortalSettings

EXTENSIONS = PortalSettings.Mode.EXTENSIONS
DEVICE_AND_USER = PortalSettings.Mode.DEVICE_AND_USER


def pbx_mode() -> str:
    return PortalSettings.get().mode


@transaction.atomic
def set_pbx_mode(*, mode: str) -> None:
    if mode not in PortalSettings.Mode.values:
        raise ValueError(f"unknown mode {mode!r}")
    before = trail.snapshot(PortalSettings.get())
    trail.changed(before, PortalSettings.objects.update_or_create(pk=1, defaults={"mode": mode})[0])
