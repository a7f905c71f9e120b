"""Portal-wide pages: home, Settings, sync now, the config diff, and a fresh secret."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_http_methods, require_POST

from asterisk.boundary import banner, conf_dir, config_files, request_sync, rewrite_file
from audit import trail
from directory.validators import generate_secret
from portal.lockouts import lockout_clear, lockout_list
from portal.mode import EXTENSIONS, pbx_mode, set_pbx_mode
from portal.models import PortalSettings
from portal.roles import can_edit
from web.forms import read_only_for
from web.pages import VIEWERS_READ, admin_required, safe_next, viewer_required


@viewer_required
def home(request):
    return redirect("extension_index" if pbx_mode() == EXTENSIONS else "user_index")


class SettingsForm(forms.Form):
    mode = forms.ChoiceField(
        choices=PortalSettings.Mode.choices,
        widget=forms.RadioSelect,
        help_text="Both modes show the same users and devices; only the pages differ.",
    )


@viewer_required
@require_http_methods(["GET", "POST"])
def portal_settings(request):
    form = read_only_for(request.user, SettingsForm(request.POST or None, initial={"mode": pbx_mode()}))
    if request.method == "POST":
        if not request.user.has_perm("portal.change_portalsettings"):
            messages.error(request, VIEWERS_READ)
            return redirect("settings")
        if form.is_valid():
            set_pbx_mode(mode=form.cleaned_data["mode"])
            messages.success(request, "Settings saved.")
            return redirect("settings")
    return render(request, "settings.html", {"form": form})


def _status_json(request) -> JsonResponse:
    state = banner(per_extension=pbx_mode() == EXTENSIONS)
    html = render_to_string("_sync_banner_body.html", {"b": state}, request=request)
    response = JsonResponse({**state.as_json(), "html": html})
    response["Cache-Control"] = "no-store"
    return response


@viewer_required
def sync_status(request):
    """The banner as JSON (with its body re-rendered), polled by static/js/pbxadmin.js."""
    return _status_json(request)


@admin_required
@require_POST
def sync_now(request):
    request_sync(force=True)
    if "application/json" in request.headers.get("Accept", ""):
        return _status_json(request)
    messages.info(request, "Sync with Asterisk requested: the banner shows how it went.")
    return redirect(safe_next(request, "home"))


@viewer_required
def config_diff(request):
    """Per generated file: what is on disk against what the database implies (secrets masked), and whether it waits."""
    files = config_files(viewer=not can_edit(request.user))
    return render(request, "config_diff.html", {"files": files, "directory": conf_dir()})


@admin_required
@require_POST
def config_rewrite(request):
    """Have one file rewritten from the database (it was edited by hand), and its module reloaded."""
    name = request.POST.get("name", "")
    try:
        with transaction.atomic():
            rewrite_file(name=name)
            trail.file_rewritten(name=name)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
        return redirect("config_diff")
    messages.success(
        request,
        f"{name} is rewritten from the database by the sync, and its module reloaded if its text "
        "changed (see the banner).",
    )
    return redirect("config_diff")


@admin_required
def new_secret(request):
    """A fresh secret from the server's CSPRNG, for the Generate button."""
    response = JsonResponse({"secret": generate_secret()})
    response["Cache-Control"] = "no-store"
    return response


@admin_required
def login_lockouts(request):
    """Accounts refused from an address after too many wrong passwords."""
    cool_off = settings.AXES_COOLOFF_TIME
    context = {
        "lockouts": lockout_list(),
        "limit": settings.AXES_FAILURE_LIMIT,
        "minutes": int(cool_off.total_seconds() // 60) if cool_off else 0,
    }
    return render(request, "logins.html", context)


@admin_required
@require_POST
def login_lockout_clear(request):
    try:
        attempt_id = int(request.POST.get("attempt", ""))
    except ValueError:
        attempt_id = 0
    if lockout_clear(attempt_id=attempt_id, cleared_by=request.user):
        messages.success(request, "Lock-out lifted: that account may log in from that address again.")
    else:
        messages.info(request, "That lock-out was already over.")
    return redirect("login_lockouts")
