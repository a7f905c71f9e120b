"""The AstDB keys FreePBX 17 writes for a device (reference §1.1)."""


def device_keys(
    *,
    id: str,
    tech: str,
    dial: str,
    devicetype: str,
    user_id: str | None,
    default_user_id: str | None,
    emergency_cid: str,
) -> dict[str, str]:
    prefix = f"DEVICE/{id}/"
    keys = {
        prefix + "default_user": default_user_id or "none",
        prefix + "dial": dial,
        prefix + "tech": tech,
        prefix + "type": devicetype,
        prefix + "user": user_id or "none",
    }
    if emergency_cid:
        # Deleted, not left empty, when blank.
        keys[prefix + "emergency_cid"] = emergency_cid
    return keys
