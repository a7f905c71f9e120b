"""The server form: a server's name and how to reach its Asterisk. Types only: every rule is the
services' (`directory/servers/services.py`), so the page refuses what the API refuses.

The AMI secret is write-only: the box is never filled from the database (blank keeps the one
saved), and the IAX2 secret is never shown at all: it can only be made anew.
"""

from django import forms
from django.forms.models import fields_for_model

from directory.servers.models import Server
from directory.servers.services import server_version
from web.forms import VersionedForm

FORM_FIELDS = (
    "name",
    "ami_host",
    "ami_port",
    "ami_username",
    "ami_secret",
    "conf_dir",
    "iax_host",
    "iax_port",
)


class ServerForm(VersionedForm):
    def __init__(self, data=None, *, server: Server | None = None, **kwargs):
        self.server = server
        initial = {}
        if server is not None:
            initial = {f: getattr(server, f) for f in FORM_FIELDS if f != "ami_secret"}
        super().__init__(data, initial=initial, **kwargs)
        fields = fields_for_model(Server, fields=FORM_FIELDS)
        fields["name"].help_text = (
            "Lowercase letters, digits and -, e.g. branch-2. Its worker's queue is pbx.<name>."
            if server is None
            else f"Fixed: its worker's queue ({server.queue}) and the trunks to it are named after it."
        )
        if server is not None:
            fields["name"].disabled = True
        fields["ami_secret"] = forms.CharField(
            label="AMI secret",
            required=False,
            max_length=128,
            widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
            help_text="The manager.conf account's secret. Never shown again: blank keeps the one saved."
            if server is not None
            else "The manager.conf account's secret. Empty: the AMI_SECRET setting.",
        )
        if server is not None:
            fields["remove_ami_secret"] = forms.BooleanField(
                required=False,
                label="Use the AMI_SECRET setting",
                help_text="Removes the secret saved here.",
            )
            fields["new_iax_secret"] = forms.BooleanField(
                required=False,
                label="Make a new IAX2 secret",
                help_text="The trunks between this server and every other one change with it.",
            )
        self.fields.update(fields)
        if server is not None:
            self.carry_version(server_version(server))

    def fresh(self, current):
        (server,) = current
        return ServerForm(server=server)

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        kwargs = {f: data[f] for f in FORM_FIELDS}
        if data.get("remove_ami_secret"):
            kwargs["ami_secret"] = None  # the service removes it (a blank keeps it)
        if self.server is not None:
            kwargs["new_iax_secret"] = bool(data.get("new_iax_secret"))
            kwargs["expected_version"] = self.expected_version()
        return kwargs

    def sections(self):
        groups = [
            ("Server", ["name"]),
            (
                "Asterisk Manager (AMI)",
                ["ami_host", "ami_port", "ami_username", "ami_secret", "remove_ami_secret"],
            ),
            ("Files", ["conf_dir"]),
            ("Calls between servers (IAX2)", ["iax_host", "iax_port", "new_iax_secret"]),
        ]
        return [(title, [self[n] for n in names if n in self.fields]) for title, names in groups]
