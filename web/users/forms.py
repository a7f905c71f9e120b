"""Forms for the extension (user + fixed device + endpoint) and the user alone."""

from django import forms
from django.forms.models import fields_for_model

from directory.devices.models import Device, Tech
from directory.secrets import USER_SECRET_FIELDS
from directory.techs import TECHS
from directory.users.extensions import extension_version
from directory.users.mailboxes import FREEPBX_OPTIONS, generate_pin, join_options, split_options
from directory.users.models import DEFAULT_VOICEMAIL_CONTEXT, PbxUser, voicemail_setting
from directory.users.services import USER_FIELDS, user_version
from directory.validators import generate_secret
from web.endpoints.forms import settings_fields, settings_from
from web.forms import VersionedForm
from web.listing import ListFilters, tech_filter, type_filter
from web.servers.fields import SERVER_FIELD, add_server_field
from web.users import call_feature_forms

GENERAL_USER_FIELDS = ("name", "outboundcid")
# FreePBX's four mailbox options get a choice each; any other option goes in `vm_options`.
OPTION_FIELDS = tuple(f"vm_{option}" for option in FREEPBX_OPTIONS)
VOICEMAIL_FIELDS = (
    "voicemail_enabled",
    "voicemail",
    "vm_pin",
    "vm_email",
    "vm_pager",
    *OPTION_FIELDS,
    "vm_options",
)
CALL_FEATURE_FIELDS = call_feature_forms.SECTION
ADVANCED_USER_FIELDS = tuple(
    f
    for f in USER_FIELDS
    if f not in (*GENERAL_USER_FIELDS, *VOICEMAIL_FIELDS, *CALL_FEATURE_FIELDS, "password")
)


def _voicemail_fields(model_fields: dict, user: PbxUser | None) -> dict[str, forms.Field]:
    """The Voicemail section: on or off, then the mailbox. The PIN is a secret: never sent back to the browser."""
    context = model_fields["voicemail"]
    context.required = False
    context.help_text = "Usually default."
    pin = model_fields["vm_pin"]
    if user is None:
        # A new mailbox's PIN is made here, in view, for the administrator to pass on or change.
        pin.widget = forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"})
        pin.help_text = "Digits. A random one is filled in: note it for the person, or choose another."
    else:
        # The stored PIN never goes back to the browser; what was just typed does, after an error.
        pin.widget = forms.PasswordInput(
            render_value=True, attrs={"autocomplete": "new-password", "inputmode": "numeric"}
        )
        pin.help_text = (
            "Digits. Leave blank to keep the current PIN." if user.vm_pin else "Digits. Blank: a random one."
        )
    others = model_fields["vm_options"]
    others.label = "Other options"
    others.help_text = "Any other app_voicemail option, key=value separated by |, e.g. tz=european."
    return {
        "voicemail_enabled": forms.BooleanField(label="Voicemail", required=False),
        "voicemail": context,
        "vm_pin": pin,
        **{f: model_fields[f] for f in ("vm_email", "vm_pager")},
        **{f"vm_{option}": _option_field(option) for option in FREEPBX_OPTIONS},
        "vm_options": others,
    }


_OPTION_LABELS = {
    "attach": "Attach the recording to the e-mail",
    "saycid": "Say the caller's number",
    "envelope": "Say the date and time (envelope)",
    "delete": "Delete the message once e-mailed",
}


def _option_field(option: str) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_OPTION_LABELS[option],
        required=False,
        choices=[("", "Default (voicemail.conf [general])"), ("yes", "Yes"), ("no", "No")],
        help_text=f"app_voicemail's {option} option.",
    )


def _voicemail_initial(user: PbxUser | None) -> dict:
    if user is None:
        return {"voicemail": DEFAULT_VOICEMAIL_CONTEXT, "vm_pin": generate_pin()}
    four, others = split_options(user.vm_options)
    return {
        "voicemail_enabled": user.has_voicemail,
        "voicemail": user.voicemail if user.has_voicemail else DEFAULT_VOICEMAIL_CONTEXT,
        "vm_pin": "",
        **{f"vm_{option}": value for option, value in four.items()},
        "vm_options": others,
    }


def _voicemail_kwargs(data: dict, kwargs: dict) -> None:
    """Off: novm (FreePBX's word). A blank PIN keeps the one stored (or has the service make one);
    with voicemail off, a PIN typed is not kept. The options' choices and the others make one value."""
    kwargs["vm_options"] = join_options(
        {option: data.get(f"vm_{option}", "") for option in FREEPBX_OPTIONS}, data.get("vm_options", "")
    )
    kwargs["voicemail"] = voicemail_setting(
        enabled=bool(data.get("voicemail_enabled")), context=data.get("voicemail") or ""
    )
    if not data.get("vm_pin") or not data.get("voicemail_enabled"):
        kwargs.pop("vm_pin", None)  # no mailbox: the PIN filled in on the add form is not kept


def pin_made(form: forms.Form, before: str, user: PbxUser) -> str:
    """The voicemail PIN the service made in this save (a mailbox, no PIN typed, none stored
    before), for the page to show once; else ""."""
    if form.cleaned_data.get("vm_pin") or before or not user.has_voicemail:
        return ""
    return user.vm_pin


class _RefusedPinsCleared(forms.Form):
    """After an error elsewhere the PINs just typed are shown again (hidden), so nothing is lost;
    a PIN that was itself refused is not sent back."""

    PINS = ("vm_pin", "password")

    def add_error(self, field, error):
        super().add_error(field, error)
        refused = [name for name in self.PINS if name in self.errors and self.data.get(name)]
        if refused:
            self.data = self.data.copy()
            for name in refused:
                self.data[name] = ""


class ExtensionForm(VersionedForm, _RefusedPinsCleared):
    """Create or edit an extension of one technology. Validation is the service's."""

    def __init__(self, *args, tech: str, user: PbxUser | None = None, device: Device | None = None, **kwargs):
        """`device`: the extension's own device, with its endpoint, when editing."""
        self.tech = tech
        self.user = user
        self.device = device
        initial = kwargs.pop("initial", None) or {}
        if user is not None:
            initial = {
                "extension": user.extension,
                **{f: getattr(user, f) for f in USER_FIELDS if f not in USER_SECRET_FIELDS},
                **_voicemail_initial(user),
                **call_feature_forms.section_initial(user),
                **initial,
            }
            if device is not None:
                initial.setdefault("emergency_cid", device.emergency_cid)
                initial.setdefault("dial", device.dial)
                initial = {**{k: v for k, v in device.endpoint.settings.items() if k != "secret"}, **initial}
        else:
            initial = {**_voicemail_initial(None), **initial}
            if any(s.key == "secret" for s in TECHS[tech].SETTINGS):
                initial.setdefault("secret", generate_secret())
        super().__init__(*args, initial=initial, **kwargs)

        model_fields = fields_for_model(PbxUser, fields=("extension", *USER_FIELDS))
        if user is not None:
            model_fields["extension"].disabled = True
        general = {
            "extension": model_fields["extension"],
            **{f: model_fields[f] for f in GENERAL_USER_FIELDS},
            "emergency_cid": fields_for_model(Device, fields=["emergency_cid"])["emergency_cid"],
        }
        if tech == Tech.CUSTOM:
            general["dial"] = forms.CharField(
                label="Dial string",
                help_text="For example SIP/joe@example.com or Local/5551234@from-internal",
            )
        endpoint = settings_fields(tech, exclude=("accountcode",), for_update=user is not None)
        general.update({k: f for k, f in endpoint.items() if f.general})
        voicemail = _voicemail_fields(model_fields, user)
        features = call_feature_forms.section_fields(model_fields)
        self.fields = {
            **general,
            **voicemail,
            **features,
            **{k: f for k, f in endpoint.items() if not f.general},
            **{f: model_fields[f] for f in ADVANCED_USER_FIELDS},
        }
        self.general_fields = list(general)
        self.voicemail_fields = list(voicemail)
        self.call_feature_fields = list(features)
        self.device_fields = [k for k, f in endpoint.items() if not f.general]
        self.advanced_fields = list(ADVANCED_USER_FIELDS)
        if add_server_field(self, current=user.server if user is not None else None):
            self.general_fields.insert(1, SERVER_FIELD)
        if user is not None:
            self.carry_version(extension_version(user, device))

    def fresh(self, current):
        user, device = current
        return ExtensionForm(tech=self.tech, user=user, device=device)

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        kwargs = {f: data[f] for f in USER_FIELDS if f in data}
        _voicemail_kwargs(data, kwargs)
        kwargs["settings"] = settings_from(data, self.tech)
        kwargs["emergency_cid"] = data.get("emergency_cid", "")
        if self.tech == Tech.CUSTOM:
            kwargs["dial"] = data.get("dial", "")
        if self.user is None:
            kwargs["extension"] = data["extension"]
            kwargs["tech"] = self.tech
        else:
            kwargs["expected_version"] = self.expected_version()
        return kwargs


def _sections(form: forms.Form, groups: list[tuple[str, list[str]]]) -> list[tuple[str, list]]:
    return [
        (title, [form[name] for name in names if name in form.fields]) for title, names in groups if names
    ]


def extension_sections(form: ExtensionForm) -> list[tuple[str, list]]:
    return _sections(
        form,
        [
            ("General", form.general_fields),
            ("Voicemail", form.voicemail_fields),
            (call_feature_forms.TITLE, form.call_feature_fields),
            ("Device options", form.device_fields),
            ("Advanced", form.advanced_fields),
        ],
    )


class UserForm(VersionedForm, _RefusedPinsCleared):
    """A user alone (deviceanduser mode): with the hot-desk password, without a device."""

    def __init__(self, *args, user: PbxUser | None = None, **kwargs):
        self.user = user
        initial = _voicemail_initial(user)
        if user is not None:
            # The PINs are write-only: never sent to the browser, not even to administrators.
            initial = {
                "extension": user.extension,
                **{f: getattr(user, f) for f in USER_FIELDS if f not in USER_SECRET_FIELDS},
                **initial,
                **call_feature_forms.section_initial(user),
            }
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        model_fields = fields_for_model(PbxUser, fields=("extension", *USER_FIELDS))
        voicemail = _voicemail_fields(model_fields, user)
        features = call_feature_forms.section_fields(model_fields)
        self.fields = {k: f for k, f in model_fields.items() if k not in voicemail and k not in features}
        self.fields.update(voicemail)
        self.fields.update(features)
        pin = self.fields["password"]
        # Never the stored password; after an error, what was just typed.
        pin.widget = forms.PasswordInput(
            render_value=True, attrs={"autocomplete": "new-password", "inputmode": "numeric"}
        )
        add_server_field(self, current=user.server if user is not None else None)
        if user is not None:
            self.fields["extension"].disabled = True
            pin.help_text = "Leave empty to keep the current password."
            self.fields["clear_password"] = forms.BooleanField(
                label="Remove the hot-desk password", required=False
            )
            self.carry_version(user_version(user))

    def fresh(self, current):
        (user,) = current
        return UserForm(user=user)

    def sections(self):
        return _sections(
            self,
            [
                ("General", ["extension", SERVER_FIELD, "name", "outboundcid", "password", "clear_password"]),
                ("Voicemail", list(VOICEMAIL_FIELDS)),
                (call_feature_forms.TITLE, list(CALL_FEATURE_FIELDS)),
                ("Advanced", list(ADVANCED_USER_FIELDS)),
            ],
        )

    def service_kwargs(self) -> dict:
        kwargs = {f: self.cleaned_data[f] for f in USER_FIELDS if f in self.cleaned_data}
        _voicemail_kwargs(self.cleaned_data, kwargs)
        if self.user is None:
            kwargs["extension"] = self.cleaned_data["extension"]
            return kwargs
        kwargs["expected_version"] = self.expected_version()
        if self.cleaned_data.get("clear_password"):
            kwargs["password"] = ""
        elif not kwargs.get("password"):
            kwargs.pop("password", None)  # blank keeps the current one
        return kwargs


class ExtensionFilters(ListFilters):
    by_server = True
    tech = tech_filter(none="None (virtual)")
    devicetype = type_filter()
    # Extensions whose weak secret a migration kept (Device.weak_credential): to change them one by one.
    secret = forms.ChoiceField(
        choices=[("", "All secrets"), ("weak", "Weak secrets kept by an import")],
        required=False,
        label="Secrets",
    )


class UserFilters(ListFilters):
    """A user's technology and type are those of the devices they are on now (directory.users.selectors.user_list)."""

    by_server = True
    tech = tech_filter(none="None (on no device)")
    devicetype = type_filter()
