"""Portal-wide pages: home, Settings, sync now, the config diff, and a fresh secret."""

import difflib
import re

from django import forms
from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from asterisk.files import conf_dir
from asterisk.tasks import request_sync
from endpoints.generate import render_files
from portal.mode import EXTENSIONS, pbx_mode, set_pbx_mode
from portal.models import PortalSettings
from portal.pages import admin_required, viewer_required
from portal.validators import generate_secret


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
    form = SettingsForm(request.POST or None, initial={"mode": pbx_mode()})
    if request.method == "POST":
        if not request.user.has_perm("portal.change_portalsettings"):
            messages.error(request, "Viewers can look but not change: ask an administrator.")
            return redirect("settings")
        if form.is_valid():
            set_pbx_mode(mode=form.cleaned_data["mode"])
            messages.success(request, "Settings saved.")
            return redirect("settings")
    return render(request, "settings.html", {"form": form})


@admin_required
@require_POST
def sync_now(request):
    request_sync(force=True)
    messages.info(request, "Sync with Asterisk requested.")
    target = request.POST.get("next", "")
    return redirect(target if target.startswith("/") and not target.startswith("//") else "home")


# Lines that carry a secret: a device's secret or password, a mailbox's PIN (the
# first field after `=>`). The page shows whether files are current; the values
# themselves are never needed there, and viewers may open it.
_SECRET_LINE = re.compile(r"^([-+ ]?(?:secret|password|md5_cred)\s*=\s*).+$")
_MAILBOX_LINE = re.compile(r"^([-+ ]?[0-9]+\s*=>\s*)[^,]*")


def _mask(line: str) -> str:
    return _MAILBOX_LINE.sub(r"\1••••", _SECRET_LINE.sub(r"\1••••", line))


@viewer_required
def config_diff(request):
    """Per generated file: what is on disk against what the database implies."""
    directory = conf_dir()
    files = []
    for name, wanted in render_files().items():
        path = directory / name
        on_disk = path.read_text(encoding="utf-8") if path.exists() else ""
        diff = list(
            difflib.unified_diff(
                on_disk.splitlines(),
                wanted.splitlines(),
                f"{name} (on disk)",
                f"{name} (from the database)",
                lineterm="",
                n=2,
            )
        )
        files.append(
            {
                "name": name,
                "exists": path.exists(),
                "diff": [_mask(line) for line in diff[:2000]],
                "truncated": len(diff) > 2000,
            }
        )
    return render(request, "config_diff.html", {"files": files, "directory": directory})


@admin_required
def new_secret(request):
    """A fresh secret from the server's CSPRNG, for the Generate button."""
    response = JsonResponse({"secret": generate_secret()})
    response["Cache-Control"] = "no-store"
    return response
