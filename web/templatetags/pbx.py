"""Template filters for pbxadmin's pages."""

from django import template

from asterisk.boundary import ago as _ago
from directory.techs import TECHS

register = template.Library()


@register.filter
def tech_label(tech: str) -> str:
    """The one name of a technology (its module's LABEL), the same on every page."""
    module = TECHS.get(tech or "")
    return module.LABEL if module else (tech or "")


@register.filter
def ago(moment) -> str:
    """ "3 minutes ago", "just now": as the sync banner says it."""
    return _ago(moment)
