"""The Devices page (deviceanduser mode), hot desking, and the per-device config preview."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from devices.forms import DeviceForm, HotDeskForm
from devices.models import Device, Tech
from devices.selectors import device_list
from devices.services import device_create, device_delete, device_login, device_logout, device_update
from endpoints.generate import device_sections
from endpoints.secrets import mask_conf_text
from portal.forms import submit
from portal.mode import DEVICE_AND_USER
from portal.pages import admin_required, check_can_edit, for_mode, paginate, viewer_required


@viewer_required
@for_mode(DEVICE_AND_USER)
def device_index(request):
    search, sort = request.GET.get("q", ""), request.GET.get("sort", "id")
    page = paginate(request, device_list(search=search, sort=sort))
    return render(request, "devices/device_list.html", {"page": page, "q": search, "sort": sort})


@admin_required
@for_mode(DEVICE_AND_USER)
@require_http_methods(["GET", "POST"])
def device_add(request):
    tech = request.GET.get("tech", "")
    if tech not in Tech.values:
        return render(request, "devices/device_tech.html", {"techs": Tech.choices})
    form = DeviceForm(request.POST or None, tech=tech)
    if request.method == "POST" and (device := submit(form, device_create)):
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
    form = DeviceForm(request.POST or None, tech=device.tech, device=device)
    if request.method == "POST":
        check_can_edit(request)
        if submit(form, device_update, device=device):
            messages.success(request, f"Device {device.id} saved.")
            return redirect("device_edit", device_id=device.id)
    context = {
        "form": form,
        "device": device,
        "tech_label": Tech(device.tech).label,
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
    target = request.POST.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect("device_edit", device_id=device.id)


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
        who = device.user or "nobody"
        messages.success(request, f"Device {device.id} logged out; it is back with {who}.")
    return _back(request, device)


@viewer_required
def device_preview(request, device_id):
    """The exact sections this device gets in each generated file, its secret masked (Reveal shows it)."""
    device = get_object_or_404(Device, pk=device_id)
    files = {name: mask_conf_text(text) for name, text in device_sections(device.pk).items()}
    return render(request, "devices/device_preview.html", {"device": device, "files": files})


@admin_required
def device_secret(request, device_id):
    """The current secret, for the Reveal button of the edit form (never in lists or logs)."""
    device = get_object_or_404(Device.objects.select_related("endpoint"), pk=device_id)
    response = JsonResponse({"secret": device.endpoint.settings.get("secret", "")})
    response["Cache-Control"] = "no-store"
    return response
