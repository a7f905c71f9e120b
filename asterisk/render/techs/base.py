"""What every technology module provides, and the device data its renderer receives."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DeviceRow:
    """The slice of a device that its config sections depend on."""

    id: str
    dial: str
    # `<user>@<context>` for a fixed device whose user has voicemail, else `<id>@device`.
    mailbox: str
    settings: dict[str, str]
    # The prompts language of the device's user (fixed devices), else "".
    language: str = ""
    # What the SIP settings make available: chan_sip protocols, or PJSIP transport names.
    transports: frozenset[str] = frozenset()
    # PJSIP: the one address the transports are bound to, or "" when they listen on every address.
    media_address: str = ""


def device_callerid(device_id: str) -> str:
    """Every device identifies itself by its number; the dialplan maps it to the user."""
    return f"device <{device_id}>"


def split_amp(value: str) -> list[str]:
    """FreePBX stores multi-valued settings joined by `&` and writes one line per part."""
    return [part for part in value.replace(",", "&").split("&") if part] if value else []
