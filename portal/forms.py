"""Form helpers shared by every page and the admin."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from portal.roles import can_edit


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


def submit(form: forms.BaseForm, service, **extra):
    """Call `service(**form.service_kwargs(), **extra)` for a valid form; return its result.

    A service's ValidationError lands on the form, next to the fields it names,
    and None is returned: the page shows the form again.
    """
    if not form.is_valid():
        return None
    try:
        return service(**form.service_kwargs(), **extra)
    except ValidationError as e:
        add_service_errors(form, e)
        return None


def read_only_for(user, form: forms.BaseForm) -> forms.BaseForm:
    """A viewer gets the form with every field disabled: what they may read, nothing to type into."""
    if not can_edit(user):
        for field in form.fields.values():
            field.disabled = True
    return form
