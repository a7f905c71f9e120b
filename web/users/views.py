"""The Extensions page (extensions mode) and the Users page (deviceanduser mode). Thin: form, service, redirect."""

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods

from asterisk.boundary import device_states, only_down
from directory.devices.hotdesk_guard import hotdesk_lockout_of
from directory.devices.models import Device, Tech
from directory.devices.selectors import BY_ID
from directory.servers.selectors import on_server
from directory.users.extensions import extension_create, extension_delete, extension_update
from directory.users.models import PbxUser
from directory.users.selectors import devices_of, extension_list, user_list, user_search
from directory.users.services import user_create, user_delete, user_update
from portal.mode import DEVICE_AND_USER, EXTENSIONS
from web.forms import read_only_for, submit
from web.listing import paginate
from web.pages import admin_required, check_can_edit, for_mode, viewer_required
from web.servers.fields import creating, updating
from web.users.forms import (
    ExtensionFilters,
    ExtensionForm,
    UserFilters,
    UserForm,
    extension_sections,
    pin_made,
)


def _tech_or_default(request) -> str | None:
    tech = request.GET.get("tech", "")
    return tech if tech in Tech.values else None


# A PIN made for a mailbox waits in the administrator's own session for the page after the
# save, which shows it once (as a new secret is seen once, in the add form).
_NEW_PIN = "pbxadmin_new_vm_pin"


def _keep_new_pin(request, user: PbxUser, pin: str) -> bool:
    if pin:
        request.session[_NEW_PIN] = [user.extension, pin]
    return bool(pin)


def _render_with_new_pin(request, template: str, context: dict):
    """The page, with the PIN made for this user in the save before, once; never cached."""
    kept = request.session.pop(_NEW_PIN, None)
    extension = context["user_obj"].extension
    pin = kept[1] if kept and kept[0] == extension else ""
    response = render(request, template, {**context, "new_vm_pin": pin})
    if pin:
        add_never_cache_headers(response)
    return response


# --- Extensions -------------------------------------------------------------


@viewer_required
@for_mode(EXTENSIONS)
def extension_index(request):
    filters = ExtensionFilters(request.GET, default_sort="extension")
    queryset = only_down(
        on_server(extension_list(**filters.selector_kwargs()), filters.server()),
        "extension",
        filters.phone_state(),
    )
    if filters.servers_shown:
        queryset = queryset.select_related("server")
    page = paginate(request, queryset, per_page=filters.values()["per_page"])
    states = device_states(ext.extension for ext in page if ext.tech)
    return render(request, "users/extension_list.html", {"page": page, "filters": filters, "states": states})


@admin_required
@for_mode(EXTENSIONS)
@require_http_methods(["GET", "POST"])
def extension_add(request):
    tech = _tech_or_default(request)
    if tech is None:
        return render(request, "users/extension_tech.html", {"techs": Tech.choices})
    form = ExtensionForm(request.POST or None, tech=tech)
    if request.method == "POST" and (user := submit(form, creating(extension_create, form))):
        messages.success(request, f"Extension {user.extension} ({user.name}) created.")
        if _keep_new_pin(request, user, pin_made(form, "", user)):
            return redirect("extension_edit", extension=user.extension)
        return redirect("extension_index")
    return render(
        request,
        "users/extension_form.html",
        {"form": form, "sections": extension_sections(form), "tech": tech, "tech_label": Tech(tech).label},
    )


@viewer_required
@for_mode(EXTENSIONS)
@require_http_methods(["GET", "POST"])
def extension_edit(request, extension):
    user = get_object_or_404(PbxUser, pk=extension)
    device = Device.objects.select_related("endpoint").filter(pk=user.pk).first()
    tech = device.tech if device else Tech.CUSTOM
    form = read_only_for(
        request.user, ExtensionForm(request.POST or None, tech=tech, user=user, device=device)
    )
    if request.method == "POST":
        check_can_edit(request)
        if updated := submit(form, updating(extension_update, form), user=user):
            _keep_new_pin(request, updated, pin_made(form, user.vm_pin, updated))
            messages.success(request, f"Extension {user.extension} saved.")
            return redirect("extension_edit", extension=user.extension)
    context = {
        "form": form,
        "sections": extension_sections(form),
        "tech": tech,
        "tech_label": Tech(tech).label,
        "user_obj": user,
        "device": device,
        "devices_now": devices_of(user),
        "lockout": hotdesk_lockout_of(user=user),
    }
    return _render_with_new_pin(request, "users/extension_form.html", context)


@admin_required
@for_mode(EXTENSIONS)
@require_http_methods(["GET", "POST"])
def extension_remove(request, extension):
    user = get_object_or_404(PbxUser, pk=extension)
    if request.method == "POST":
        extension_delete(user=user)
        messages.success(request, f"Extension {extension} deleted.")
        return redirect("extension_index")
    return render(request, "confirm_delete.html", {"what": f"extension {user}", "cancel": "extension_index"})


# --- Users (deviceanduser mode) ------------------------------------------------


@viewer_required
@for_mode(DEVICE_AND_USER)
def user_index(request):
    filters = UserFilters(request.GET, default_sort="extension")
    queryset = only_down(
        on_server(user_list(**filters.selector_kwargs()), filters.server()),
        "devices__id",
        filters.phone_state(),
    )
    if filters.servers_shown:
        queryset = queryset.select_related("server")
    page = paginate(request, queryset, per_page=filters.values()["per_page"])
    states = device_states(d.id for u in page for d in u.devices_now)
    return render(request, "users/user_list.html", {"page": page, "filters": filters, "states": states})


@admin_required
@for_mode(DEVICE_AND_USER)
@require_http_methods(["GET", "POST"])
def user_add(request):
    form = UserForm(request.POST or None)
    if request.method == "POST" and (user := submit(form, creating(user_create, form))):
        _keep_new_pin(request, user, pin_made(form, "", user))
        messages.success(request, f"User {user.extension} ({user.name}) created.")
        return redirect("user_edit", extension=user.extension)
    return render(request, "users/user_form.html", {"form": form})


@viewer_required
@for_mode(DEVICE_AND_USER)
@require_http_methods(["GET", "POST"])
def user_edit(request, extension):
    user = get_object_or_404(PbxUser, pk=extension)
    form = read_only_for(request.user, UserForm(request.POST or None, user=user))
    if request.method == "POST":
        check_can_edit(request)
        if updated := submit(form, updating(user_update, form), user=user):
            _keep_new_pin(request, updated, pin_made(form, user.vm_pin, updated))
            messages.success(request, f"User {user.extension} saved.")
            return redirect("user_edit", extension=user.extension)
    context = {
        "form": form,
        "user_obj": user,
        "devices_now": devices_of(user),
        "owned": Device.objects.filter(default_user=user).order_by(*BY_ID),
        "adhoc": Device.objects.filter(devicetype="adhoc").exclude(user=user).order_by(*BY_ID)[:200],
        "lockout": hotdesk_lockout_of(user=user),
    }
    return _render_with_new_pin(request, "users/user_form.html", context)


@admin_required
@for_mode(DEVICE_AND_USER)
@require_http_methods(["GET", "POST"])
def user_remove(request, extension):
    user = get_object_or_404(PbxUser, pk=extension)
    if request.method == "POST":
        user_delete(user=user)
        messages.success(request, f"User {extension} deleted; their devices now have no user.")
        return redirect("user_index")
    return render(request, "confirm_delete.html", {"what": f"user {user}", "cancel": "user_index"})


@viewer_required
def user_search_json(request):
    """Users matching what was typed, for the user choice on forms (numbers in numeric order)."""
    results = user_search(search=request.GET.get("q", "")[:80])
    return JsonResponse({"results": results})
