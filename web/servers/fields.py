"""The `server` choice on the extension, user and device forms, and the lists' server filter.

Both appear only while there are several servers (`directory.servers.selectors.several`):
with one, every page stays as it was. A form's choice is handed to the services apart from
the other fields (`directory/servers/services.py`: `create_on`, `update_on`), since a user's
server changes by a move, not by an update.
"""

from django import forms

from directory.servers.selectors import server_names, several
from directory.servers.services import create_on, update_on

SERVER_FIELD = "server"


def add_server_field(form: forms.Form, *, current=None, moves: bool = True, blank: str = "") -> bool:
    """Give `form` a `server` choice when there are several servers; whether it did.
    `current`: the server of what the form edits (None: a new one, on the default server).
    `moves=False`: shown, not changed here (a device moves with its user).
    `blank`: the label of an empty first choice (a new device: where its default user lives)."""
    if not several():
        return False
    names = server_names()
    choices = [(n, n) for n in names]
    if blank and current is None:
        choices.insert(0, ("", blank))
    field = forms.ChoiceField(
        label="Server",
        required=not (blank and current is None),
        choices=choices,
        help_text="The Asterisk server it lives on."
        if current is None
        else "Choosing another server moves the user and their fixed devices there."
        if moves
        else "A device moves with its user.",
    )
    if current is not None and not moves:
        field.disabled = True
    form.fields[SERVER_FIELD] = field
    first = "" if blank else names[0]
    form.initial.setdefault(SERVER_FIELD, current.name if current is not None else first)
    return True


def chosen_server(form: forms.Form) -> str | None:
    """The server the form names, or None when it has no choice (one server) or it is disabled."""
    field = form.fields.get(SERVER_FIELD)
    if field is None or field.disabled:
        return None
    return form.cleaned_data.get(SERVER_FIELD) or None


def creating(service, form: forms.Form):
    """`service` (a create) as a form submits it: on the server the form chose."""

    def call(**kwargs):
        return create_on(create=service, server=chosen_server(form), **kwargs)

    return call


def updating(service, form: forms.Form):
    """`service` (a user's or an extension's update) as a form submits it: then the move to the
    server the form chose, in the same transaction."""

    def call(*, user, **kwargs):
        return update_on(update=service, user=user, server=chosen_server(form), **kwargs)

    return call


def server_filter() -> forms.ChoiceField:
    return forms.ChoiceField(
        choices=[("", "All servers"), *((n, n) for n in server_names())], required=False, label="Server"
    )
