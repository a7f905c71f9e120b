from asterisk.boundary import banner
from portal.mode import EXTENSIONS, pbx_mode
from portal.roles import can_edit, can_view


def portal(request) -> dict:
    """What the layout shows on every page: the mode, the Asterisk link, the user's role."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    mode = pbx_mode()
    edit, view = can_edit(request.user), can_view(request.user)
    return {
        "pbx_mode": mode,
        "sync_banner": banner(per_extension=mode == EXTENSIONS) if view else None,
        "can_edit": edit,
        "can_view": view,
        "role_label": "administrator" if edit else "viewer" if view else "no PBX role",
    }
