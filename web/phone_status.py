"""The phone states of the devices on a page, for the script that keeps their marks current."""

from django.http import JsonResponse
from django.views.decorators.http import require_GET

from asterisk.boundary import DEVICE_ID, device_states, host_port
from web.pages import viewer_required

# A page shows at most a few hundred devices.
MAX_IDS = 500


@viewer_required
@require_GET
def phone_status(request):
    """`?ids=2001,2002` → `{"link": {…}, "devices": [{id, state, state_label, stale, detail, …}]}`.

    The words are the marks' own (`asterisk/_phone_mark.html` shows the same fields), so a
    mark reads the same whether the page drew it or the script redrew it.
    """
    ids = [i for i in request.GET.get("ids", "").split(",") if DEVICE_ID.fullmatch(i)][:MAX_IDS]
    states = device_states(dict.fromkeys(ids))
    devices = [
        {
            "id": device_id,
            "state": status.state,
            "state_label": status.label,
            "stale": status.stale,
            "last_known_state": status.last_known_state,
            "busy": status.busy,
            "usage": status.usage,
            "usage_label": status.get_usage_display(),
            "address": host_port(status),
            "user_agent": status.user_agent,
            "detail": status.detail,
            "title": status.title,
        }
        for device_id, status in states.items()
    ]
    response = JsonResponse({"link": states.link.as_json(), "devices": devices})
    response["Cache-Control"] = "no-store"
    return response
