"""The AstDB keys FreePBX 17 writes for a user (reference §1.2), from a PbxUser."""

from users.models import PbxUser


def user_keys(user: PbxUser, device_ids: list[str]) -> dict[str, str]:
    """`AMPUSER/<ext>/…` and `CW/<ext>` as the dialplan reads them.

    `device_ids`: the devices the user is on now, in the order they arrived.
    """
    ext = user.extension
    prefix = f"AMPUSER/{ext}/"
    keys = {
        "answermode": user.answermode,
        "accountcode": user.accountcode,
        "cfringtimer": str(user.cfringtimer),
        "cidname": user.name,
        "cidnum": user.cid_num_alias or ext,
        "concurrency_limit": str(user.concurrency_limit),
        "cwtone": user.cwtone,
        "intercom": user.intercom,
        "language": user.language,
        "noanswer": "",
        "outboundcid": user.outboundcid,
        "password": user.password,
        "recording": "",
        "recording/in/external": user.recording_in_external,
        "recording/in/internal": user.recording_in_internal,
        "recording/ondemand": user.recording_ondemand,
        "recording/out/external": user.recording_out_external,
        "recording/out/internal": user.recording_out_internal,
        "recording/priority": str(user.recording_priority),
        "ringtimer": str(user.ringtimer),
        "rvolume": "",
        "voicemail": user.voicemail,
    }
    result = {prefix + key: value for key, value in keys.items()}
    if device_ids:
        # FreePBX deletes the key when the list becomes empty.
        result[prefix + "device"] = "&".join(device_ids)
    if user.callwaiting:
        result[f"CW/{ext}"] = "ENABLED"
    return result
