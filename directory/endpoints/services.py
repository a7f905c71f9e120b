"""Business operations on the settings every endpoint depends on."""

from django.db import transaction

from audit import trail
from directory import announce
from directory.endpoints.models import SipSettings, split_networks

# Everything an administrator may set on the SIP settings page.
SIP_SETTINGS_FIELDS = tuple(
    f.name for f in SipSettings._meta.concrete_fields if f.name not in ("id", "updated_at")
)


@transaction.atomic
def sip_settings_update(**fields) -> SipSettings:
    """Change the chan_sip and PJSIP settings; the settings files and the devices' transports follow."""
    unknown = set(fields) - set(SIP_SETTINGS_FIELDS)
    if unknown:
        raise TypeError(f"unexpected SIP settings {sorted(unknown)}")
    SipSettings.get()
    settings = SipSettings.objects.select_for_update().get(pk=1)
    before = trail.snapshot(settings)
    for name, value in fields.items():
        if name == "local_networks":
            value = " ".join(split_networks(value or ""))
        elif isinstance(value, str):
            value = value.strip()
        setattr(settings, name, value)
    settings.full_clean()
    settings.save()
    trail.changed(before, settings)
    announce.sip_settings_changed()
    return settings
