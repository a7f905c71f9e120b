from django import forms

from bulk.importing import secrets_will_change
from bulk.models import ImportJob
from bulk.rows import WEAK_KEEP, WEAK_REGENERATE
from portal.mode import EXTENSIONS

EXISTING = forms.ChoiceField(
    label="Rows for numbers that already exist",
    choices=[
        ("skip", "Skip existing: leave them as they are"),
        ("replace", "Replace existing: update them with the file's values"),
    ],
    initial="skip",
    widget=forms.RadioSelect,
)


class UploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="FreePBX Bulk Handler columns, separated by commas, semicolons or tabs; "
        "UTF-8, with or without a BOM.",
    )
    kind = forms.ChoiceField(label="What the file holds", choices=ImportJob.Kind.choices)
    existing = EXISTING

    def __init__(self, *args, mode: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["existing"].required = False  # skip, unless replace is asked for
        connectivity = [
            (ImportJob.Kind.TRUNKS, "Trunks"),
            (ImportJob.Kind.ROUTES, "Outbound routes"),
            (ImportJob.Kind.DIDS, "Inbound routes (Bulk Handler dids)"),
        ]
        if mode == EXTENSIONS:
            self.fields["kind"].choices = [(ImportJob.Kind.EXTENSIONS, "Extensions"), *connectivity]
            self.fields["kind"].initial = ImportJob.Kind.EXTENSIONS
        else:
            self.fields["kind"].choices = [
                (ImportJob.Kind.USERS, "Users"),
                (ImportJob.Kind.DEVICES, "Devices"),
                *connectivity,
            ]


class ConfirmForm(forms.Form):
    """What the check asks of the administrator before anything is written.

    `report` is the check's: the weak-secret choice is asked only when a row has a
    weak secret, and the secrets confirmation only when existing phones' secrets change.
    Whether the choices made are enough is the service's to judge (`bulk.services.import_confirm`).
    """

    existing = EXISTING
    weak_secrets = forms.ChoiceField(
        label="Secrets too weak for the strong rule",
        choices=[
            (WEAK_KEEP, "Keep them as they are: the phones keep working; the extensions are marked"),
            (WEAK_REGENERATE, "Regenerate them: new extensions get strong secrets (provision their phones)"),
        ],
        widget=forms.RadioSelect,
        required=False,
    )
    change_secrets = forms.BooleanField(required=False)

    def __init__(self, *args, report, replace: bool, **kwargs):
        kwargs.setdefault("initial", {"existing": "replace" if replace else "skip"})
        super().__init__(*args, **kwargs)
        self.report = report
        self.replace = replace
        if report.weak:
            self.fields["weak_secrets"].label = (
                f"{report.weak} {'row has a secret' if report.weak == 1 else 'rows have secrets'} "
                "too weak for the strong rule (6 characters, 2 letters, 2 digits)"
            )
        else:
            del self.fields["weak_secrets"]
        most = report.secret_changes + report.weak_secret_changes
        if most:
            self.fields["change_secrets"].label = secrets_will_change(most)
            if report.weak_secret_changes:
                self.fields[
                    "change_secrets"
                ].help_text = f"{report.weak_secret_changes} of them only if you keep weak secrets."
        else:
            del self.fields["change_secrets"]

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "existing": data["existing"],
            "weak_secrets": data.get("weak_secrets", ""),
            "change_secrets": data.get("change_secrets", False),
        }


class ExportForm(forms.Form):
    q = forms.CharField(
        label="Only extensions matching", required=False, help_text="Number prefix or name; empty: all."
    )
    secrets = forms.BooleanField(label="Include secrets and hot-desk passwords", required=False)
