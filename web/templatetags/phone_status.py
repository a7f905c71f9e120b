"""The phone's state on the pages: a mark for list rows, a card for the device page."""

from django import template

from asterisk.boundary import States, device_states, recent_changes

register = template.Library()


@register.inclusion_tag("asterisk/_phone_mark.html")
def phone_mark(states: States | None, device_id: str):
    """`{% phone_mark states d.id %}` with `states` from `selectors.device_states` (one query per page)."""
    status = (states or {}).get(device_id) or device_states([device_id])[device_id]
    return {"status": status}


@register.inclusion_tag("asterisk/_phone_card.html")
def phone_card(device_id: str):
    return {"status": device_states([device_id])[device_id], "changes": recent_changes(device_id)}
