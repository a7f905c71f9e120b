"""Helpers to gather validation errors from several steps into one ValidationError."""

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError


class ErrorCollector:
    """Run several checks and raise once, so a form shows every problem at the same time."""

    def __init__(self) -> None:
        self.errors: dict[str, list[ValidationError]] = {}

    def add(self, field: str | None, error: ValidationError | str) -> None:
        if isinstance(error, str):
            error = ValidationError(error)
        key = field or NON_FIELD_ERRORS
        items = error.error_dict.items() if hasattr(error, "error_dict") else [(key, error.error_list)]
        for name, errs in items:
            known = self.errors.setdefault(name, [])
            # Two steps checking the same value (the user and the device of one
            # extension) should not show the same message twice.
            seen = {" ".join(e.messages) for e in known}
            known.extend(e for e in errs if " ".join(e.messages) not in seen)

    def collect(self, func, *args, rename: dict[str, str] | None = None, **kwargs):
        """Call func; file its ValidationError (fields renamed through `rename`) and return None."""
        try:
            return func(*args, **kwargs)
        except ValidationError as e:
            if hasattr(e, "error_dict") and rename:
                e = ValidationError({rename.get(k, k): v for k, v in e.error_dict.items()})
            self.add(None, e)
            return None

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)

    def __bool__(self) -> bool:
        return bool(self.errors)
