from django import forms

from bulk.models import ImportJob
from portal.mode import EXTENSIONS


class UploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file", help_text="FreePBX Bulk Handler columns; UTF-8, with or without a BOM."
    )
    kind = forms.ChoiceField(label="What the file holds", choices=ImportJob.Kind.choices)

    def __init__(self, *args, mode: str, **kwargs):
        super().__init__(*args, **kwargs)
        if mode == EXTENSIONS:
            self.fields["kind"].choices = [(ImportJob.Kind.EXTENSIONS, "Extensions")]
            self.fields["kind"].initial = ImportJob.Kind.EXTENSIONS
            self.fields["kind"].widget = forms.HiddenInput()
        else:
            self.fields["kind"].choices = [
                (ImportJob.Kind.USERS, "Users"),
                (ImportJob.Kind.DEVICES, "Devices"),
            ]


class ConfirmForm(forms.Form):
    existing = forms.ChoiceField(
        label="Rows for numbers that already exist",
        choices=[
            ("replace", "Replace existing: update them with the file's values"),
            ("skip", "Skip existing: leave them as they are"),
        ],
        initial="replace",
        widget=forms.RadioSelect,
    )


class ExportForm(forms.Form):
    q = forms.CharField(
        label="Only extensions matching", required=False, help_text="Number prefix or name; empty: all."
    )
    secrets = forms.BooleanField(label="Include secrets and hot-desk passwords", required=False)
