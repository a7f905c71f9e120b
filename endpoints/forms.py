"""Form fields for a technology's endpoint settings, built from its SETTINGS list."""

from django import forms

from endpoints.techs import TECHS


def settings_fields(
    tech: str, *, exclude: tuple[str, ...] = (), for_update: bool = False
) -> dict[str, forms.Field]:
    """One form field per setting, labelled and defaulted as the technology module says.

    The fields only shape the input; `endpoints.techs.clean_settings` (called by
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
