"""Write a device's sections and read them back as Asterisk would."""

from asterisk.render.conf import Section, format_file, parse_conf
from asterisk.render.techs import FILE_TECH, RENDERERS
from asterisk.render.techs.base import DeviceRow
from directory.techs import defaults

SAFE_SECRET = "Abcd1234efgh"


def device_settings(tech: str, **changes: str) -> dict[str, str]:
    """A device's full clean settings: the defaults, a secret, a DAHDI channel, then `changes`."""
    values = defaults(tech)
    if "secret" in values:
        values["secret"] = SAFE_SECRET
    if tech == "dahdi":
        values["channel"] = "1"
    values.update(changes)
    return values


def render_device(tech: str, *, id: str = "2001", settings: dict[str, str] | None = None, **row) -> dict:
    """The sections each of the technology's files gets for one device."""
    row.setdefault("mailbox", f"{id}@device")
    settings = device_settings(tech) if settings is None else settings
    return RENDERERS[tech].render(DeviceRow(id=id, dial=f"{tech.upper()}/{id}", settings=settings, **row))


def assert_sections_read_back_exactly(files: dict[str, list[Section]]) -> None:
    """Each file, written and parsed back, has exactly the sections, keys and values rendered:
    nothing in a value added a line, a section, a key or a comment, or lost a character."""
    for name, sections in files.items():
        parsed = parse_conf(format_file(sections), commented_headers=FILE_TECH[name] == "dahdi")
        assert [s.name for s in parsed.sections] == [s.name for s in sections], name
        for written, read in zip(sections, parsed.sections, strict=True):
            assert read.items == written.items, f"{name} [{written.name}]"
