"""Form helpers shared by every page and the admin."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: next to the field it names, else on top."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        target = field if field in form.fields else None
        if target is None and field != NON_FIELD_ERRORS:
            errors = [ValidationError(f"{field}: {' '.join(e.messages)}") for e in errors]
        form.add_error(target, errors)
