"""A recorded value in the words an administrator reads on the Audit page.

The log keeps what `values_of` stored (`true`, a time as text, a choice's code, "")
because the CSV export and the API hand it to scripts; only the page rewords it,
at display time. A secret was recorded as "changed", never its value, so there
is nothing here to unmask.
"""

import datetime

from django.db import models
from django.utils import dateformat, timezone
from django.utils.text import capfirst

from audit.fields import recorded_field
from audit.models import Action, Entry, ObjectType
from directory.techs import TECHS

# The portal's own way of writing a time (the When column, phone and lockout times).
DATETIME_FORMAT = "Y-m-d H:i:s"


def readable(value, field: models.Field | None = None) -> str:
    """yes/no, a local time, a choice's label (its code too when the label hides it), "(empty)"."""
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):  # a many-to-many field: the names
        return ", ".join(str(v) for v in value) or "(none)"
    if value == "":
        return "(empty)"
    if field is not None and field.choices:
        label = str(dict(field.flatchoices).get(value, value))
        # "Don't care (dontcare)": the code is what a CSV file or the API says.
        return label if str(value).lower() in label.lower() else f"{label} ({value})"
    if isinstance(field, models.DateTimeField):
        # Stored as str(datetime), always with its UTC offset (USE_TZ).
        moment = datetime.datetime.fromisoformat(value)
        return dateformat.format(timezone.localtime(moment), DATETIME_FORMAT)
    return str(value)


def field_label(kind: str, name: str) -> str:
    """A field's name as its form says it: the model field's verbose name, or the technology
    setting's label; the stored name when neither is known (a field since removed)."""
    key = name.removeprefix("settings.")
    if kind == ObjectType.ENDPOINT or key != name:
        # Technologies word a few settings their own way ("Trust RPID", "Trust RPID/PAI"); an
        # entry does not say its technology, so the first module's label stands for them all.
        labels = [s.label for module in TECHS.values() for s in module.SETTINGS if s.key == key]
        return labels[0] if labels else key
    label = str(getattr(recorded_field(kind, name), "verbose_name", name))
    # A module's name keeps its case ("chan_sip port"); anything else starts with a capital.
    return label if label.startswith("chan_sip") else capfirst(label)


def readable_changes(entry: Entry) -> list[str]:
    """The entry's change lines with each value `readable` and each field by its label."""
    kind = entry.object_type
    return entry.change_lines(
        show=lambda name, value: readable(value, recorded_field(kind, name)),
        label=lambda name: field_label(kind, name),
    )


def readable_operation(lead: Entry) -> list[dict]:
    """Each object of an operation (`selectors.with_parts`) with its changes in words.

    `folded`: a created or deleted object among others lists every field it had, which
    would bury the rest of the log: the page folds it under its name.
    """
    parts = getattr(lead, "parts", None) or [lead]
    several = len(parts) > 1
    return [
        {
            "entry": part,
            "lines": readable_changes(part),
            "folded": several and part.action in (Action.CREATED, Action.DELETED),
        }
        for part in parts
    ]
