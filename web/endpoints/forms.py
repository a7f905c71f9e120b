"""Form fields for a technology's endpoint settings, built from its SETTINGS list."""

from django import forms

from directory.endpoints.models import SipSettings, split_networks
from directory.endpoints.services import SIP_SETTINGS_FIELDS
from directory.techs import TECHS


def settings_fields(
    tech: str, *, exclude: tuple[str, ...] = (), for_update: bool = False
) -> dict[str, forms.Field]:
    """One form field per setting, labelled and defaulted as the technology module says.

    The fields only shape the input; `directory.techs.clean_settings` (called by
    the services) is what accepts or refuses a value.
    """
    fields: dict[str, forms.Field] = {}
    for setting in TECHS[tech].SETTINGS:
        if setting.key in exclude:
            continue
        common = {"label": setting.label, "help_text": setting.help, "required": False}
        if setting.choices:
            field = forms.ChoiceField(
                choices=[(c, c or "(not set)") for c in setting.choices], initial=setting.default, **common
            )
        elif setting.secret:
            help_text = "Leave empty to keep the current secret." if for_update else setting.help
            field = forms.CharField(
                max_length=128,
                widget=forms.PasswordInput(
                    render_value=not for_update, attrs={"autocomplete": "new-password"}
                ),
                **{**common, "help_text": help_text},
            )
        else:
            field = forms.CharField(max_length=200, initial=setting.default, **common)
        field.endpoint_setting = setting
        field.general = setting.general
        fields[setting.key] = field
    return fields


def settings_from(cleaned_data: dict, tech: str) -> dict[str, str]:
    keys = {s.key for s in TECHS[tech].SETTINGS}
    return {k: v for k, v in cleaned_data.items() if k in keys}


class SipSettingsForm(forms.ModelForm):
    """The SIP settings page. Validation is the model's, run by the service."""

    # Typed one per line; the service turns the lines into the stored, space-separated list.
    local_networks = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=SipSettings._meta.get_field("local_networks").help_text,
    )

    class Meta:
        model = SipSettings
        fields = SIP_SETTINGS_FIELDS

    SECTIONS = (
        ("NAT (both drivers)", ("external_address", "local_networks")),
        ("chan_sip", ("sip_bind_address", "sip_port", "sip_tcp", "sip_tls", "sip_tls_port", "sip_nat")),
        (
            "PJSIP transports",
            (
                "pjsip_bind_address",
                "pjsip_udp",
                "pjsip_udp_port",
                "pjsip_tcp",
                "pjsip_tcp_port",
                "pjsip_tls",
                "pjsip_tls_port",
            ),
        ),
        ("TLS", ("tls_cert_file", "tls_key_file")),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            # A module's name keeps its case: "chan_sip port", not "Chan_sip port".
            if field.label and field.label.lower().startswith("chan_sip"):
                field.label = "chan_sip" + field.label[len("chan_sip") :]
        if self.instance.pk:
            # Stored separated by spaces; shown one network per line.
            self.initial["local_networks"] = "\n".join(split_networks(self.instance.local_networks))

    def _post_clean(self):
        # The model's checks run in the service, with the typed networks normalised first.
        pass

    def sections(self):
        return [(title, [self[name] for name in names]) for title, names in self.SECTIONS]

    def service_kwargs(self) -> dict:
        return dict(self.cleaned_data)
