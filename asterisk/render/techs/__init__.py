"""How each technology's devices are written: one module per technology, beside its settings
in `directory/techs/` (the same name). Each has TECH, FILES (the files its devices go into),
RELOAD_MODULE (what Asterisk reloads when they change) and render(row) -> {file: sections}."""

from types import ModuleType

from asterisk.render.techs import custom, dahdi, iax2, pjsip, sip

RENDERERS: dict[str, ModuleType] = {m.TECH: m for m in (pjsip, sip, iax2, dahdi, custom)}

# Every device file, in a stable order, and the technology that fills it.
FILE_TECH: dict[str, str] = {name: m.TECH for m in RENDERERS.values() for name in m.FILES}
