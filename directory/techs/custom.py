"""Custom devices: a dial string the administrator types, and no settings."""

TECH = "custom"
# The one name pages, forms and messages use for this technology.
LABEL = "Custom"
SETTINGS = ()


def dial(device_id: str, settings: dict[str, str]) -> str:
    raise ValueError("a custom device's dial string is typed, not derived")
