"""People, groups and their permissions, changed in the Django admin, go on the record too.

Django registers their admins itself; they are registered again here with the
audit mixin (this app comes after django.contrib.auth in INSTALLED_APPS). The
portal's own objects are recorded by their services, which their admins call.
"""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User

from audit import trail
from audit.models import Entry


class AuditedAdminMixin:
    """Records each save (with its many-to-many fields: groups, permissions) and delete."""

    def save_model(self, request, obj, form, change):
        if change:
            # Before the form's values: what the database holds now.
            form.audit_before = trail.snapshot(type(obj).objects.get(pk=obj.pk))
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if change:
            trail.changed(form.audit_before, form.instance)
        else:
            trail.created(form.instance)

    def delete_model(self, request, obj):
        trail.deleted(obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        trail.deleted(*queryset)
        super().delete_queryset(request, queryset)


class AuditedUserAdmin(AuditedAdminMixin, UserAdmin):
    def user_change_password(self, request, id, form_url=""):
        person = self.get_object(request, id)
        before = trail.snapshot(person) if person is not None else {}
        response = super().user_change_password(request, id, form_url)
        if person is not None and request.method == "POST":
            trail.changed(before, User.objects.get(pk=person.pk))  # the password only as "changed"
        return response


class AuditedGroupAdmin(AuditedAdminMixin, GroupAdmin):
    pass


admin.site.unregister(User)
admin.site.register(User, AuditedUserAdmin)
admin.site.unregister(Group)
admin.site.register(Group, AuditedGroupAdmin)


@admin.register(Entry)
class EntryAdmin(admin.ModelAdmin):
    """Read only: the record is written by the services and pruned by `audit_prune`."""

    list_display = ("at", "via", "person", "detail", "action", "object_type", "object_id")
    list_filter = ("via", "action", "object_type")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
