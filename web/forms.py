"""Form helpers shared by every page and the admin."""

from django import forms
from django.core import signing
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from directory.versions import StaleVersion
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
    except StaleVersion as e:
        if not isinstance(form, VersionedForm):
            raise
        form.stale(e)
        return None
    except ValidationError as e:
        add_service_errors(form, e)
        return None


def read_only_for(user, form: forms.BaseForm) -> forms.BaseForm:
    """A viewer gets the form with every field disabled: what they may read, nothing to type into."""
    if not can_edit(user):
        for field in form.fields.values():
            field.disabled = True
    return form


VERSION_FIELD = "version"
_VERSION_SALT = "pbxadmin.portal.forms.version"


def _plain(value) -> str:
    """A field's value as one string, the same whether it came from the database or the browser."""
    if isinstance(value, bool):
        return "on" if value else ""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)


class VersionedForm(forms.Form):
    """An edit form that carries the version of what it shows, so a save made from an old copy
    is refused by the service (StaleVersion) instead of silently undoing someone else's.

    When editing, a subclass calls `carry_version(version)` at the end of `__init__` and
    implements `fresh(current)`: an unbound form of the same kind for the rows as they are now.
    The hidden field holds, signed, the version and the values the page showed (never a secret:
    a password box is never filled), so after a refusal `stale` can say what changed meanwhile,
    field by field, put those values in the form where the administrator had not typed, and keep
    what they typed. Saving again then saves on top of the other person's change.
    """

    # After a refusal: {"what": …, "changes": [(label, theirs, saved, typed or None)]} for the template.
    conflict: dict | None = None

    def carry_version(self, version: str) -> None:
        self.fields[VERSION_FIELD] = forms.CharField(widget=forms.HiddenInput, required=False)
        token = {"v": version, "seen": self._shown()}
        self.initial[VERSION_FIELD] = signing.dumps(token, salt=_VERSION_SALT, compress=True)

    def fresh(self, current: tuple) -> "VersionedForm":
        raise NotImplementedError

    def _compared(self) -> list[str]:
        """The fields whose values the page shows (not the version, a disabled number or a secret)."""
        return [
            name
            for name, field in self.fields.items()
            if name != VERSION_FIELD
            and not field.disabled
            and not isinstance(field.widget, forms.PasswordInput | forms.HiddenInput)
        ]

    def _shown(self) -> dict[str, str]:
        return {name: _plain(self[name].value()) for name in self._compared()}

    def _token(self) -> dict | None:
        raw = self.data.get(self.add_prefix(VERSION_FIELD)) if self.is_bound else None
        if not raw:
            return None
        try:
            return signing.loads(raw, salt=_VERSION_SALT)
        except signing.BadSignature:
            # Not a version this portal wrote: judge it as old, so nothing is saved unseen.
            return {"v": "", "seen": {}}

    def expected_version(self) -> str | None:
        """The version the page was opened at; None for a post without one (nothing is compared)."""
        token = self._token() if VERSION_FIELD in self.fields else None
        return None if token is None else str(token.get("v", ""))

    def _words(self, name: str, plain: str) -> str:
        field = self.fields[name]
        if isinstance(field.widget, forms.CheckboxInput):
            return "yes" if plain else "no"
        choices = {_plain(k): v for k, v in getattr(field, "choices", ()) if not isinstance(v, list | tuple)}
        return str(choices.get(plain, plain)) if plain != "" else "(empty)"

    def _put(self, data, name: str, plain: str) -> None:
        key = self.add_prefix(name)
        if isinstance(self.fields[name].widget, forms.CheckboxInput):
            if plain:
                data[key] = "on"
            else:
                data.pop(key, None)
        else:
            data[key] = plain

    def stale(self, error: StaleVersion) -> None:
        """The save was refused: show what changed meanwhile, and a form holding their changes
        and what the administrator typed, carrying the version as it is now."""
        fresh = self.fresh(error.current)
        seen = (self._token() or {}).get("seen", {})
        now = fresh._shown()
        data = self.data.copy()
        changes = []
        for name in self._compared():
            if name not in seen or name not in now or seen[name] == now[name]:
                continue
            typed = _plain(self[name].value())
            label = str(self.fields[name].label or name)
            mine = typed != seen[name]
            changes.append(
                (
                    label,
                    self._words(name, seen[name]),
                    self._words(name, now[name]),
                    self._words(name, typed) if mine else None,
                )
            )
            if not mine:
                self._put(data, name, now[name])
        data[self.add_prefix(VERSION_FIELD)] = fresh.initial[VERSION_FIELD]
        self.data = data
        self.initial = fresh.initial
        self.conflict = {"what": error.messages[0], "changes": changes}
