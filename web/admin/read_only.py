"""What the Django admin may do with PBX objects: look, never change.

The portal pages are the one editing UI for users, devices and endpoints (one
form, one service call, the sync and the files follow). The admin keeps people
and groups; PBX objects are listed there read-only, without their secrets.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html


class ReadOnlyAdmin(admin.ModelAdmin):
    """A ModelAdmin that shows and never adds, changes or deletes. `portal_url` names the page that edits."""

    portal_url = ""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="edit")
    def edit_in_portal(self, obj) -> str:
        return format_html('<a href="{}">in the portal</a>', reverse(self.portal_url, args=[obj.pk]))
