"""The Audit page's filters, read from the query string (so a filtered view is a link)."""

import datetime

from django import forms
from django.utils import timezone

from audit.models import Action, ObjectType


class EntryFilterForm(forms.Form):
    type = forms.MultipleChoiceField(
        label="Object type",
        choices=ObjectType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    id = forms.CharField(label="Object id", max_length=64, required=False)
    person = forms.CharField(
        max_length=150, required=False, help_text="A portal account or OS user, exactly."
    )
    action = forms.ChoiceField(choices=[("", "Any action"), *Action.choices], required=False)
    since = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", "The end date is before the start date.")
        return data

    def filters(self) -> dict:
        """The selector's arguments; an invalid form filters nothing it could not read."""
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "types": data.get("type") or (),
            "object_id": (data.get("id") or "").strip(),
            "person": (data.get("person") or "").strip(),
            "action": data.get("action") or "",
            "since": _day_start(data.get("since")),
            # Up to the end of that day; the last day there is, up to its end.
            "until": (
                _day_start(data["until"] + datetime.timedelta(days=1))
                if data.get("until") and data["until"] < datetime.date.max
                else None
            ),
        }


def _day_start(day: datetime.date | None) -> datetime.datetime | None:
    if day is None:
        return None
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
