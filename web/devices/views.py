"""The Devices page (deviceanduser mode), hot desking, and the per-device config preview."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from asterisk.boundary import device_preview as config_preview
from asterisk.boundary import device_states, only_down
from directory.devices.hotdesk_guard import hotdesk_lockout_lift, hotdesk_lockout_of
from directory.devices.models import Device, Tech
from directory.devices.selectors import device_list
from directory.devices.services import (
    device_create,
    device_delete,
    device_login,
    device_logout,
    device_secret_reveal,
    device_update,
)
from directory.servers.selectors import on_server
from directory.users.models import PbxUser
from portal.mode import DEVICE_AND_USER
from web.devices.forms import DeviceFilters, DeviceForm, HotDeskForm
from web.forms import read_only_for, submit
from web.listing import paginate
from web.pages import admin_required, check_can_edit, for_mode, safe_next, viewer_required
from web.servers.fields import creating


@viewer_required
@for_mode(DEVICE_AND_USER)
def device_index(request):
    filters = DeviceFilters(
        request.GET, default_sort="id", placeholder="Device id, description or dial string"
    )
    queryset = only_down(
        on_server(device_list(**filters.selector_kwargs()), filters.server()), "id", filters.phone_state()
    )
    if filters.servers_shown:
        queryset = queryset.select_related("server")
    page = paginate(request, queryset, per_page=filters.values()["per_page"])
    states = device_states(d.id for d in page)
    return render(request, "devices/device_list.html", {"page": page, "filters": filters, "states": states})


@admin_required
@for_mode(DEVICE_AND_USER)
@require_http_methods(["GET", "POST"])
def device_add(request):
    tech = request.GET.get("tech", "")
    if tech not in Tech.values:
        return render(request, "devices/device_tech.html", {"techs": Tech.choices})
    form = DeviceForm(request.POST or None, tech=tech)
    if request.method == "POST" and (device := submit(form, creating(device_create, form))):
        messages.success(request, f"Device {device.id} created.")
        return redirect("device_edit", device_id=device.id)
    return render(request, "devices/device_form.html", {"form": form, "tech_label": Tech(tech).label})


@viewer_required
@for_mode(DEVICE_AND_USER)
@require_http_methods(["GET", "POST"])
def device_edit(request, device_id):
    device = get_object_or_404(
        Device.objects.select_related("endpoint", "user", "default_user"), pk=device_id
    )
    form = read_only_for(request.user, DeviceForm(request.POST or None, tech=device.tech, device=device))
    if request.method == "POST":
        check_can_edit(request)
        if submit(form, device_update, device=device):
            messages.success(request, f"Device {device.id} saved.")
            return redirect("device_edit", device_id=device.id)
    context = {
        "form": form,
        "device": device,
        "tech_label": Tech(device.tech).label,
        "hotdesk_form": HotDeskForm(auto_id="hotdesk_%s"),
        "lockout": hotdesk_lockout_of(device=device),
    }
    return render(request, "devices/device_form.html", context)


@admin_required
@for_mode(DEVICE_AND_USER)
@require_http_methods(["GET", "POST"])
def device_remove(request, device_id):
    device = get_object_or_404(Device, pk=device_id)
    if request.method == "POST":
        device_delete(device=device)
        messages.success(request, f"Device {device_id} deleted.")
        return redirect("device_index")
    return render(request, "confirm_delete.html", {"what": f"device {device}", "cancel": "device_index"})


def _back(request, device: Device):
    """Return to where the hot-desk form was (the device or a user's page)."""
    return _to_next(request, "device_edit", device_id=device.id)


def _to_next(request, fallback: str, **kwargs):
    return redirect(safe_next(request, reverse(fallback, kwargs=kwargs or None)))


@admin_required
@require_POST
def device_hotdesk_login(request, device_id):
    device = get_object_or_404(Device, pk=device_id)
    form = HotDeskForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["extension"]))
        return _back(request, device)
    user = form.cleaned_data["extension"]
    try:
        device_login(device=device, user=user)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(request, f"{user} is logged into device {device.id}.")
    return _back(request, device)


@admin_required
@require_POST
def device_hotdesk_logout(request, device_id):
    device = get_object_or_404(Device, pk=device_id)
    try:
        device = device_logout(device=device)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        if device.user:
            messages.success(request, f"Device {device.id} logged out; it is back with {device.user}.")
        else:
            messages.success(request, f"Device {device.id} logged out; nobody is on it now.")
    return _back(request, device)


@viewer_required
def device_preview(request, device_id):
    """The exact sections this device gets in each generated file, its secret masked (Reveal shows it)."""
    device = get_object_or_404(Device, pk=device_id)
    files = config_preview(device.pk, secrets_shown=False)
    return render(request, "devices/device_preview.html", {"device": device, "files": files})


@admin_required
def device_secret(request, device_id):
    """The current secret, for the Reveal button of the edit form (never in lists or logs)."""
    device = get_object_or_404(Device.objects.select_related("endpoint"), pk=device_id)
    response = JsonResponse({"secret": device_secret_reveal(device=device)})
    response["Cache-Control"] = "no-store"
    return response


@admin_required
@require_POST
def user_lockout_lift(request, extension):
    """Lift a user's hot-desk lock-out (too many wrong PINs) and clear the count."""
    user = get_object_or_404(PbxUser, pk=extension)
    hotdesk_lockout_lift(user=user)
    messages.success(request, f"The hot-desk lock-out of {user} is lifted.")
    return _to_next(request, "user_edit", extension=user.pk)


@admin_required
@require_POST
def device_lockout_lift(request, device_id):
    """Lift a device's hot-desk lock-out (too many wrong PINs typed on it) and clear the count."""
    device = get_object_or_404(Device, pk=device_id)
    hotdesk_lockout_lift(device=device)
    messages.success(request, f"The hot-desk lock-out of device {device.id} is lifted.")
    return _to_next(request, "device_edit", device_id=device.id)
