"""The portal's two roles over the API: viewers read, administrators write."""

from rest_framework import permissions

from portal.roles import can_edit, can_view


class ViewersReadAdministratorsWrite(permissions.BasePermission):
    message = "Viewers can read but not change: ask an administrator."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if user is None or not user.is_authenticated:
            return False
        if request.method in permissions.SAFE_METHODS:
            if not can_view(user):
                self.message = "Your account has no PBX role: ask an administrator."
                return False
            return True
        return can_edit(user)


class AdministratorsOnly(permissions.BasePermission):
    """Reads that are for administrators alone (the audit log)."""

    message = "Only administrators may read this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return user is not None and user.is_authenticated and can_edit(user)
