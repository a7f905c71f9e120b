"""Helpers every page uses: role checks, the mode a page belongs to, service errors.

Lists (filters, pages, page size) are in web/listing.py."""

from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

from portal.mode import pbx_mode
from portal.roles import can_edit, can_view

# The reasons the 403 page (templates/403.html) gives, under the menu.
VIEWERS_READ = "Viewers can read but not change: ask an administrator."
ADMINISTRATORS_ONLY = f"This page is for PBX administrators. {VIEWERS_READ}"


def viewer_required(view):
    """Any page: administrators and viewers (login is enforced for every URL by middleware)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not can_view(request.user):
            raise PermissionDenied("Your account has no PBX role: ask an administrator.")
        return view(request, *args, **kwargs)

    return wrapper


def admin_required(view):
    """A page that changes something: administrators only."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not can_edit(request.user):
            raise PermissionDenied(ADMINISTRATORS_ONLY)
        return view(request, *args, **kwargs)

    return wrapper


def check_can_edit(request) -> None:
    """For pages that viewers may see but whose POST changes something."""
    if not can_edit(request.user):
        raise PermissionDenied(VIEWERS_READ)


def for_mode(mode: str):
    """Pages of one mode only; in the other mode they send the administrator home."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if pbx_mode() != mode:
                messages.info(request, "That page belongs to the other mode (see Settings).")
                return redirect("home")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def safe_next(request, fallback: str) -> str:
    """The POSTed `next` page when it is one of this site's (no open redirect), else `fallback`."""
    target = request.POST.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback
