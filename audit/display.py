"""A recorded value in the words an administrator reads on the Audit page.

The log keeps what `values_of` stored (`true`, a time as text, a choice's code, "")
because the CSV export and the API hand it to scripts; only the page rewords it,
at display time. A secret was recorded as "changed", never its value, so there
is nothing here to unmask.
"""

import datetime

from django.db import models
from django.utils import dateformat, timezone

from audit.fields import recorded_field
from audit.models import Entry

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


def readable_changes(entry: Entry) -> list[str]:
    """The entry's change lines with each value `readable`, as its model field says."""
    return entry.change_lines(
        show=lambda name, value: readable(value, recorded_field(entry.object_type, name))
    )
