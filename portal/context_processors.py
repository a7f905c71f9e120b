from asterisk.models import SyncChange, SyncStatus
from portal.mode import pbx_mode
from portal.roles import can_edit


def portal(request) -> dict:
    """What the layout shows on every page: the mode, the Asterisk link, the user's role."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    return {
        "pbx_mode": pbx_mode(),
        "sync_status": SyncStatus.get(),
        "sync_pending": SyncChange.objects.count(),
        "can_edit": can_edit(request.user),
    }
