"""The Connectivity forms: a trunk, an outbound route, an inbound route.

Types only: every rule is the services' (`directory/connectivity/services.py`), so a page
refuses exactly what the API and an import refuse. Rows that repeat (a trunk's dial-out
rules, a route's dial patterns, a route's trunk sequence) are numbered fields of the one
form, with a few empty rows to fill: no script is needed to add one, and a save from an
old page is still compared field by field (`VersionedForm`).
"""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.forms.models import fields_for_model

from directory.connectivity.models import Destination, InboundRoute, OutboundRoute, Trunk
from directory.connectivity.selectors import trunk_list
from directory.connectivity.services import (
    inbound_route_version,
    outbound_route_version,
    trunk_version,
)
from directory.versions import StaleVersion
from web.forms import VersionedForm, submit
from web.servers.fields import SERVER_FIELD, add_server_field, chosen_server
from web.users.fields import UserChoiceField

# Empty rows offered below the filled ones.
SPARE_ROWS = 2
RULE_PARTS = ("prepend", "prefix", "match")
PATTERN_PARTS = (*RULE_PARTS, "callerid")
PART_LABELS = {
    "prepend": "Prepend",
    "prefix": "Prefix (removed)",
    "match": "Match pattern",
    "callerid": "Caller ID pattern",
    "trunk": "Trunk (the next is tried when one is busy or down)",
}
MAX_ROWS = 100


def _row_count(data, prefix: str, filled: int) -> int:
    """How many rows the form has: what the page posted (it may hold more than were saved), or
    the saved rows and a few empty ones."""
    if data is not None:
        numbers = [
            int(key.split("_")[1])
            for key in data
            if key.startswith(f"{prefix}_") and key.split("_")[1].isdigit()
        ]
        return min(max(numbers, default=0), MAX_ROWS)
    return filled + SPARE_ROWS


def _rows_fields(form, prefix: str, parts: tuple[str, ...], rows: int) -> list[str]:
    names = []
    for n in range(1, rows + 1):
        for part in parts:
            name = f"{prefix}_{n}_{part}"
            form.fields[name] = forms.CharField(
                required=False,
                max_length=200,
                label=f"{n}. {PART_LABELS[part]}",
                widget=forms.TextInput(
                    {
                        "class": "form-control font-monospace",
                        "autocomplete": "off",
                        "aria-label": f"{PART_LABELS[part]} of row {n}",
                    }
                ),
            )
            names.append(name)
    return names


def _rows_initial(prefix: str, rows: list[dict]) -> dict:
    return {f"{prefix}_{n}_{part}": value for n, row in enumerate(rows, 1) for part, value in row.items()}


def row_table(form, title: str, prefix: str, parts: tuple[str, ...], names: list[str]) -> dict:
    """A section of repeated rows as a table: a header per part, a line per row."""
    width = len(parts)
    return {
        "title": title,
        "headers": [PART_LABELS[p] for p in parts],
        "rows": [[form[n] for n in names[i : i + width]] for i in range(0, len(names), width)],
    }


def _rows_from(cleaned: dict, prefix: str, parts: tuple[str, ...]) -> list[dict]:
    """The filled rows, in order; an empty row is left out."""
    rows, n = [], 1
    while f"{prefix}_{n}_{parts[0]}" in cleaned:
        row = {part: cleaned.get(f"{prefix}_{n}_{part}", "") or "" for part in parts}
        if any(row.values()):
            rows.append(row)
        n += 1
    return rows


TRUNK_FORM_FIELDS = (
    "name",
    "host",
    "port",
    "username",
    "secret",
    "register",
    "codecs",
    "outbound_cid",
    "force_cid",
    "max_channels",
    "enabled",
)


def _removal(form, name: str) -> tuple[str, ...]:
    """The "Remove the …" box of a write-only field, when the form has one (an edit)."""
    return (f"remove_{name}",) if f"remove_{name}" in form.fields else ()


class TrunkForm(VersionedForm):
    """A trunk of one technology (chosen before the form, kept for good)."""

    def __init__(self, data=None, *, tech: str, trunk: Trunk | None = None, **kwargs):
        self.tech = tech
        self.trunk = trunk
        rules = list(trunk.dial_rules) if trunk is not None else []
        initial = {}
        if trunk is not None:
            initial = {f: getattr(trunk, f) for f in TRUNK_FORM_FIELDS if f != "secret"}
            initial.update(_rows_initial("rule", rules))
        super().__init__(data, initial=initial, **kwargs)
        fields = fields_for_model(Trunk, fields=TRUNK_FORM_FIELDS)
        fields["secret"] = forms.CharField(
            required=False,
            max_length=64,
            widget=forms.PasswordInput(render_value=False),
            help_text="Given by the carrier, or Generate one. Never shown again: blank keeps the one saved."
            if trunk is not None
            else "Given by the carrier, or Generate one. A trunk that registers gets one made if left blank.",
        )
        if trunk is not None:
            fields["remove_secret"] = forms.BooleanField(
                required=False,
                label="Remove the secret",
                help_text="For a carrier that knows this trunk by its address alone (no registration).",
            )
        self.fields.update(fields)
        self.rule_fields = _rows_fields(self, "rule", RULE_PARTS, _row_count(data, "rule", len(rules)))
        # Several servers only (README "Where carrier trunks live"): the one that holds the account.
        if add_server_field(self, current=trunk.server if trunk is not None else None):
            self.fields[SERVER_FIELD].help_text = (
                "The Asterisk server that registers with the carrier and dials out on this trunk; "
                "the other servers' routes reach it through that server."
            )
        if trunk is not None:
            self.carry_version(trunk_version(trunk))

    def fresh(self, current):
        (trunk,) = current
        return TrunkForm(tech=self.tech, trunk=trunk)

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        kwargs = {f: data[f] for f in TRUNK_FORM_FIELDS}
        if data.get("remove_secret"):
            kwargs["secret"] = None  # the service removes it (a blank keeps it)
        kwargs["dial_rules"] = _rows_from(data, "rule", RULE_PARTS)
        server = chosen_server(self)
        if server:
            kwargs["server"] = server
        if self.trunk is None:
            kwargs["tech"] = self.tech
        else:
            kwargs["expected_version"] = self.expected_version()
        return kwargs

    def sections(self):
        groups = [
            (
                "General",
                [
                    "name",
                    "host",
                    "port",
                    "username",
                    "secret",
                    *_removal(self, "secret"),
                    "register",
                    "enabled",
                    *((SERVER_FIELD,) if SERVER_FIELD in self.fields else ()),
                ],
            ),
            ("Caller ID and codecs", ["outbound_cid", "force_cid", "codecs", "max_channels"]),
        ]
        return [(title, [self[n] for n in names]) for title, names in groups]

    def row_sections(self):
        return [row_table(self, "Dial-out rules", "rule", RULE_PARTS, self.rule_fields)]


class OutboundRouteForm(VersionedForm):
    """An outbound route: its dial patterns, its trunks in the order they are tried, its PIN."""

    def __init__(self, data=None, *, route: OutboundRoute | None = None, **kwargs):
        self.route = route
        patterns = list(route.patterns) if route is not None else []
        sequence = [t.pk for t in route.trunk_sequence()] if route is not None else []
        initial = {}
        if route is not None:
            initial = {"name": route.name, "route_cid": route.route_cid, "emergency": route.emergency}
            initial.update(_rows_initial("pattern", patterns))
            initial.update({f"trunk_{n}": pk for n, pk in enumerate(sequence, 1)})
        super().__init__(data, initial=initial, **kwargs)
        self.fields.update(fields_for_model(OutboundRoute, fields=("name", "route_cid", "emergency")))
        self.fields["pin"] = forms.CharField(
            label="Route PIN",
            required=False,
            max_length=12,
            widget=forms.PasswordInput(render_value=False),
            help_text="Digits a caller types before the call goes out; never on an emergency route. "
            + ("Never shown again: blank keeps the one saved." if route is not None else "Blank: none."),
        )
        if route is not None:
            self.fields["remove_pin"] = forms.BooleanField(required=False, label="Remove the PIN")
        self.pattern_fields = _rows_fields(
            self, "pattern", PATTERN_PARTS, _row_count(data, "pattern", len(patterns))
        )
        trunks = [("", "—")] + [(t.pk, str(t)) for t in trunk_list()]
        # As many places as trunks (each at most once in a route), at least one.
        self.trunk_fields = []
        for n in range(1, max(len(trunks) - 1, 1) + 1):
            name = f"trunk_{n}"
            self.fields[name] = forms.TypedChoiceField(
                choices=trunks,
                coerce=int,
                empty_value=None,
                required=False,
                label="First trunk" if n == 1 else f"Then, if it is busy or down ({n})",
                widget=forms.Select({"class": "form-select", "aria-label": f"Trunk {n} of the sequence"}),
            )
            self.trunk_fields.append(name)
        if route is not None:
            self.carry_version(outbound_route_version(route))

    def fresh(self, current):
        (route,) = current
        return OutboundRouteForm(route=route)

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        kwargs = {
            "name": data["name"],
            "route_cid": data["route_cid"],
            # Checked: the service removes the PIN (a blank keeps it).
            "pin": None if data.get("remove_pin") else data["pin"],
            "emergency": data["emergency"],
            "patterns": _rows_from(data, "pattern", PATTERN_PARTS),
            "trunks": [data[f] for f in self.trunk_fields if data.get(f) is not None],
        }
        if self.route is not None:
            kwargs["expected_version"] = self.expected_version()
        return kwargs

    def sections(self):
        names = ("name", "route_cid", "pin", *_removal(self, "pin"), "emergency")
        return [("General", [self[n] for n in names])]

    def row_sections(self):
        return [
            row_table(self, "Dial patterns", "pattern", PATTERN_PARTS, self.pattern_fields),
            row_table(self, "Trunk sequence", "trunk", ("trunk",), self.trunk_fields),
        ]


class InboundRouteForm(VersionedForm):
    def __init__(self, data=None, *, route: InboundRoute | None = None, **kwargs):
        self.route = route
        initial = {}
        if route is not None:
            initial = {
                "did": route.did,
                "cid": route.cid,
                "description": route.description,
                "destination": route.destination,
                "user": route.user_id,
                "cid_name_prefix": route.cid_name_prefix,
            }
        super().__init__(data, initial=initial, **kwargs)
        self.fields.update(
            fields_for_model(
                InboundRoute, fields=("did", "cid", "description", "destination", "cid_name_prefix")
            )
        )
        self.fields["destination"].widget = forms.RadioSelect(choices=Destination.choices)
        self.fields["user"] = UserChoiceField(
            required=False, label="User", help_text="The user rung, or whose voicemail answers."
        )
        order = ("did", "cid", "description", "destination", "user", "cid_name_prefix")
        self.fields = {name: self.fields[name] for name in order}
        if route is not None:
            self.carry_version(inbound_route_version(route))

    def fresh(self, current):
        (route,) = current
        return InboundRouteForm(route=route)

    def service_kwargs(self) -> dict:
        kwargs = dict(self.cleaned_data)
        kwargs.pop("version", None)
        if self.route is not None:
            kwargs["expected_version"] = self.expected_version()
        return kwargs

    def sections(self):
        return [("Inbound route", [self[n] for n in self.fields if n != "version"])]


# Where a service's error about a repeated part goes on each form.
SECTION_OF = {"dial_rules": "Dial-out rules", "patterns": "Dial patterns", "trunks": "Trunk sequence"}


def submit_with_sections(form, service, **extra):
    """`web.forms.submit`, with a service's error about rows (`dial_rules`, `patterns`,
    `trunks`) shown on top of the form, named by the section, in the service's words."""

    def call(**kwargs):
        try:
            return service(**kwargs)
        except StaleVersion:
            raise
        except ValidationError as e:
            if not hasattr(e, "error_dict"):
                raise
            renamed = {}
            for name, errors in e.error_dict.items():
                if name in SECTION_OF:
                    messages = [m for err in errors for m in err.messages]
                    renamed.setdefault(NON_FIELD_ERRORS, []).extend(
                        ValidationError(f"{SECTION_OF[name]}: {m}") for m in messages
                    )
                else:
                    renamed.setdefault(name, []).extend(errors)
            raise ValidationError(renamed) from None

    return submit(form, call, **extra)
