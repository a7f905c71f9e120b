"""The link to Asterisk in the admin: status, pending changes, and "sync now"."""

from django.contrib import admin, messages

from asterisk.models import SyncChange, SyncStatus
from asterisk.tasks import request_sync


@admin.register(SyncStatus)
class SyncStatusAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "server",
        "last_success_at",
        "pending_changes",
        "queued",
        "last_error",
        "last_error_at",
        "runs",
    )
    readonly_fields = (
        "server",
        "queued",
        "queued_at",
        "last_success_at",
        "last_error",
        "last_error_at",
        "last_actions",
        "runs",
    )
    actions = ["sync_now"]

    @admin.display(description="changes pending")
    def pending_changes(self, obj) -> int:
        return SyncChange.every_server.filter(server_id=obj.server_id).count()

    @admin.action(description="Sync now: push pending changes to Asterisk", permissions=["change"])
    def sync_now(self, request, queryset):
        request_sync(force=True)
        messages.info(request, "A sync has been asked for; this page shows its outcome.")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        SyncStatus.get()
        return super().get_queryset(request)
