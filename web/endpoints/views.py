"""The SIP and PJSIP settings page: administrators change, viewers read. Thin: form, service, redirect."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from directory.endpoints.models import SipSettings
from directory.endpoints.services import sip_settings_update
from web.endpoints.forms import SipSettingsForm
from web.forms import submit
from web.pages import check_can_edit, viewer_required


@viewer_required
@require_http_methods(["GET", "POST"])
def sip_settings(request):
    form = SipSettingsForm(request.POST or None, instance=SipSettings.get())
    if request.method == "POST":
        check_can_edit(request)
        if submit(form, sip_settings_update):
            messages.success(request, "SIP settings saved; the devices' transports follow them.")
            return redirect("sip_settings")
    return render(request, "sip_settings.html", {"form": form})
