"""Which values are secrets, and how they are shown to someone who may not read them.

The one place that knows it: previews, exports, the audit log and the API ask here. A
technology's secret settings are the ones its SETTINGS flag `secret=True`; a user's
hot-desk PIN (`password`) and mailbox PIN are secrets too. Where secrets land in
Asterisk's files, and how a file's text is masked, is the boundary's
(`asterisk/render/secrets.py`).
"""

from directory.techs import TECHS

# What a masked secret looks like.
MASK = "********"
# Written as a device secret (a CSV cell, an API call): make a new strong one (FreePBX's convention).
REGENERATE = "REGEN"

# PbxUser fields that are secrets: the hot-desk PIN and the mailbox PIN.
USER_SECRET_FIELDS = frozenset({"password", "vm_pin"})


def secret_settings(module) -> tuple[str, ...]:
    """The keys of a technology's secret settings."""
    return tuple(s.key for s in module.SETTINGS if s.secret)


SECRET_SETTING_KEYS = frozenset(key for m in TECHS.values() for key in secret_settings(m))
# CSV columns that carry a secret (a device secret, a user's hot-desk PIN, a mailbox PIN
# in FreePBX's `voicemail_vmpwd` column).
SECRET_COLUMNS = SECRET_SETTING_KEYS | {"password", "voicemail_vmpwd"}


def masked_settings(settings: dict[str, str]) -> dict[str, str]:
    """Endpoint settings with every secret replaced by the mask (an empty one stays empty)."""
    return {k: (MASK if k in SECRET_SETTING_KEYS and v else v) for k, v in settings.items()}
