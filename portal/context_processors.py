from portal.banner import banner
from portal.mode import pbx_mode
from portal.roles import can_edit


def portal(request) -> dict:
    """What the layout shows on every page: the mode, the Asterisk link, the user's role."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    mode = pbx_mode()
    return {
        "pbx_mode": mode,
        "sync_banner": banner(mode=mode),
        "can_edit": can_edit(request.user),
    }
