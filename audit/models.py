"""The audit log: who did what to which objects, when, and each field before → after.

One row per object touched. The rows of one operation (a service call: an extension
created is its user, its device and the device's settings) share `operation`, and
the first of them is its `lead`: the page, the CSV export and the API list leads,
each with the objects of its operation, so one operation reads as one entry.
"""

import uuid
from collections.abc import Callable

from django.db import models
from django.utils import timezone


class Via(models.TextChoices):
    PORTAL = "portal", "Portal"
    PHONE = "phone", "Phone"
    API = "api", "API"
    IMPORT = "import", "Import"
    COMMAND = "command", "Command"
    SYSTEM = "system", "System"


class Action(models.TextChoices):
    CREATED = "created", "Created"
    CHANGED = "changed", "Changed"
    DELETED = "deleted", "Deleted"
    LOGGED_IN = "logged_in", "Logged in"
    LOGGED_OUT = "logged_out", "Logged out"
    IMPORTED = "imported", "Imported"
    PRUNED = "pruned", "Pruned"
    EXPORTED = "exported", "Exported"
    REWROTE = "rewrote", "Rewrote"
    # A lock-out lifted by an administrator (hot desking, portal logins).
    UNLOCKED = "unlocked", "Lifted a lock-out"


class ObjectType(models.TextChoices):
    USER = "user", "User"
    DEVICE = "device", "Device"
    ENDPOINT = "endpoint", "Endpoint settings"
    SETTINGS = "settings", "Portal settings"
    PERSON = "person", "Person (portal account)"
    GROUP = "group", "Group"
    IMPORT = "import", "Import"
    AUDIT = "audit", "Audit log"
    API_TOKEN = "api_token", "API token"
    EXPORT = "export", "Export"
    FILE = "file", "Config file"
    TRUNK = "trunk", "Trunk"
    OUTBOUND_ROUTE = "out_route", "Outbound route"
    INBOUND_ROUTE = "in_route", "Inbound route"
    SERVER = "server", "Asterisk server"
    OTHER = "other", "Other"


# The value a secret field is recorded with, in place of its before and after.
HIDDEN_CHANGE = "changed"


class Entry(models.Model):
    at = models.DateTimeField(default=timezone.now)
    via = models.CharField(max_length=8, choices=Via.choices)
    # The portal account acting, or that started the import; a command's OS user.
    person = models.CharField(max_length=150, blank=True)
    # The rest of "who": the device a phone called from, the import job, the command.
    detail = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=12, choices=Action.choices)
    object_type = models.CharField(max_length=12, choices=ObjectType.choices)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    # {field: [before, after]}, or {field: "changed"} for a secret or PIN: its value is never kept.
    changes = models.JSONField(default=dict, blank=True)
    # The operation this row belongs to, and whether it is the operation's first row. A row
    # made on its own (or before operations were recorded) is an operation by itself.
    operation = models.UUIDField(default=uuid.uuid4, editable=False)
    lead = models.BooleanField(default=True, editable=False)

    class Meta:
        verbose_name_plural = "audit entries"
        ordering = ["-at", "-id"]
        # The page's filters, each newest first; the list without a filter walks the leads' `at`.
        indexes = [
            models.Index(fields=["-at", "-id"], name="audit_at"),
            models.Index(fields=["-at", "-id"], condition=models.Q(lead=True), name="audit_lead_at"),
            models.Index(fields=["object_id", "-at"], name="audit_object"),
            models.Index(fields=["person", "-at"], name="audit_person"),
            models.Index(fields=["action", "-at"], name="audit_action"),
            models.Index(fields=["operation"], name="audit_operation"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.who} {self.get_action_display()} {self.object_label}"

    @property
    def who(self) -> str:
        return ", ".join(p for p in (self.person, self.detail) if p) or self.get_via_display()

    @property
    def object_label(self) -> str:
        return f"{self.get_object_type_display()} {self.object_repr or self.object_id}".strip()

    def change_lines(
        self, show: Callable[[str, object], str] | None = None, label: Callable[[str], str] | None = None
    ) -> list[str]:
        """One line per field. Names and values as stored (the CSV export) unless `label(field)`
        and `show(field, value)` word them otherwise (the page: audit/display.py)."""
        show = show or _stored
        lines = []
        for field, value in self.changes.items():
            name = label(field) if label else field
            if value == HIDDEN_CHANGE:
                lines.append(f"{name}: changed")
            elif isinstance(value, list) and len(value) == 2:
                before, after = value
                if before is None:  # created
                    lines.append(f"{name}: {show(field, after)}")
                elif after is None and self.action == Action.DELETED:
                    lines.append(f"{name}: was {show(field, before)}")
                else:
                    lines.append(f"{name}: {show(field, before)} → {show(field, after)}")
            else:
                lines.append(f"{name}: {show(field, value)}")
        return lines


def _stored(name: str, value) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "none"
    return repr(value) if value == "" else str(value)
