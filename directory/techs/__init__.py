"""The registry of endpoint technologies. Each module has the same shape: TECH, LABEL,
SETTINGS (the settings a device of it has, which drive the forms, the CSV columns and the
checks) and dial(id, settings). How its devices are written into Asterisk's files is the
boundary's: `asterisk/render/techs/`, one module of the same name each."""

from types import ModuleType

from django.core.exceptions import ValidationError

from directory.techs import custom, dahdi, iax2, pjsip, sip

TECHS: dict[str, ModuleType] = {m.TECH: m for m in (pjsip, sip, iax2, dahdi, custom)}

# `zap` is DAHDI's old name; FreePBX 2.x files and exports still use it.
ALIASES = {"zap": "dahdi"}


def normalise_tech(tech: str) -> str:
    tech = (tech or "").strip().lower()
    tech = ALIASES.get(tech, tech)
    if tech not in TECHS:
        raise ValidationError(
            f"Unknown technology {tech!r}: choose one of {', '.join(TECHS)}.",
            code="tech",
        )
    return tech


def defaults(tech: str) -> dict[str, str]:
    return {s.key: s.default for s in TECHS[tech].SETTINGS}


def clean_settings(
    tech: str, values: dict[str, object], *, base: dict[str, str] | None = None
) -> dict[str, str]:
    """Check and normalise endpoint settings; unset keys keep `base` (or the defaults).

    Raises one ValidationError whose error_dict names every bad key.
    """
    spec = {s.key: s for s in TECHS[tech].SETTINGS}
    result = dict(defaults(tech))
    if base:
        result.update({k: v for k, v in base.items() if k in spec})
    errors: dict[str, list[ValidationError]] = {}
    for key, raw in values.items():
        setting = spec.get(key)
        if setting is None:
            errors[key] = [
                ValidationError(
                    f"{TECHS[tech].TECH} devices have no setting {key!r}.",
                    code="unknown",
                )
            ]
            continue
        try:
            result[key] = setting.clean(raw)
        except ValidationError as e:
            errors[key] = e.error_list
    # A required setting left at an empty default (a secret, a DAHDI channel).
    for key, setting in spec.items():
        if key not in errors and key not in values and result[key] == "" and setting.check is not None:
            try:
                setting.clean("")
            except ValidationError as e:
                errors[key] = e.error_list
    if errors:
        raise ValidationError(errors)
    return result
