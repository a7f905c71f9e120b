"""Reads for the Devices page, and finding the device a phone calls from."""

import re

from django.db.models import Q, QuerySet
from django.db.models.functions import Length, Lower

from directory.devices.models import Device, Tech
from directory.folding import fold

# Ids are strings of digits: ordered by length, then value, so 818 < 3299 < 5001.
BY_ID = (Length("id").asc(), "id")
SORTS = {
    "id": BY_ID,
    "-id": (Length("id").desc(), "-id"),
    "tech": ("tech", *BY_ID),
    "-tech": ("-tech", *BY_ID),
    "description": (Lower("description"), *BY_ID),
    "-description": (Lower("description").desc(), *BY_ID),
}


def device_list(*, search: str = "", sort: str = "id", tech: str = "", devicetype: str = "") -> QuerySet:
    queryset = Device.objects.select_related("user", "default_user", "server")
    if tech:
        queryset = queryset.filter(tech=tech)
    if devicetype:
        queryset = queryset.filter(devicetype=devicetype)
    search = search.strip()
    if search:
        queryset = queryset.filter(
            Q(id__startswith=search)
            | Q(description_folded__contains=fold(search))
            | Q(dial__icontains=search)
        )
    return queryset.order_by(*SORTS.get(sort, SORTS["id"]))


# An Asterisk channel name: TECH/resource-sequence, e.g. PJSIP/2212-0000001a,
# SIP/2212-00000003, IAX2/2212-4321, DAHDI/3-1. The resource is everything up
# to the last '-'. Anything else (Local/…;1, masquerade or zombie suffixes) is
# not a phone the portal knows.
_CHANNEL = re.compile(r"(?P<tech>[A-Za-z0-9]+)/(?P<resource>[^\s/;<>]+)-(?P<sequence>[0-9a-fA-F]+)")
_CHANNEL_TECHS = {"PJSIP": Tech.PJSIP, "SIP": Tech.SIP, "IAX2": Tech.IAX2, "DAHDI": Tech.DAHDI}


def device_of_channel(channel: str) -> Device | None:
    """The device a call comes from, by its channel's technology and endpoint (never its caller ID).

    The channel name is Asterisk's: for PJSIP, SIP and IAX2 it carries the
    endpoint the phone authenticated as, for DAHDI the port it is plugged into.
    The device is the one whose dial string is that technology and endpoint.
    Custom devices are not matched: the portal does not control their identity.
    """
    match = _CHANNEL.fullmatch(channel or "")
    if match is None or match["tech"] not in _CHANNEL_TECHS:
        return None
    tech = _CHANNEL_TECHS[match["tech"]]
    candidates = list(
        Device.objects.select_related("user", "default_user").filter(
            tech=tech, dial=f"{match['tech']}/{match['resource']}"
        )[:2]
    )
    return candidates[0] if len(candidates) == 1 else None
