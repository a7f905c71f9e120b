"""The phone states of the devices on a page, for the script that keeps their marks current."""

from django.http import JsonResponse
from django.views.decorators.http import require_GET

from asterisk.phone_status import DEVICE_ID
from asterisk.selectors import device_states
from portal.pages import viewer_required

# A page shows at most a few hundred devices.
MAX_IDS = 500


@viewer_required
@require_GET
def phone_status(request):
    """`?ids=2001,2002` → `{"devices": [{id, state, state_label, usage, usage_label, address, user_agent}]}`."""
    ids = [i for i in request.GET.get("ids", "").split(",") if DEVICE_ID.fullmatch(i)][:MAX_IDS]
    devices = []
    for device_id, status in device_states(dict.fromkeys(ids)).items():
        address = f"{status.address}:{status.port}" if status.address and status.port else status.address
        devices.append(
            {
                "id": device_id,
                "state": status.state,
                "state_label": status.get_state_display(),
                "usage": status.usage,
                "usage_label": status.get_usage_display(),
                "address": address,
                "user_agent": status.user_agent,
            }
        )
    response = JsonResponse({"devices": devices})
    response["Cache-Control"] = "no-store"
    return response
