"""Reads for the Devices page."""

from django.db.models import Q, QuerySet
from django.db.models.functions import Length

from devices.models import Device

# Ids are strings of digits: ordered by length, then value, so 818 < 3299 < 5001.
BY_ID = (Length("id").asc(), "id")
SORTS = {
    "id": BY_ID,
    "-id": (Length("id").desc(), "-id"),
    "tech": ("tech", *BY_ID),
    "-tech": ("-tech", *BY_ID),
    "description": ("description", *BY_ID),
    "-description": ("-description", *BY_ID),
}


def device_list(*, search: str = "", sort: str = "id", tech: str = "", devicetype: str = "") -> QuerySet:
    queryset = Device.objects.select_related("user", "default_user")
    if tech:
        queryset = queryset.filter(tech=tech)
    if devicetype:
        queryset = queryset.filter(devicetype=devicetype)
    search = search.strip()
    if search:
        queryset = queryset.filter(
            Q(id__startswith=search) | Q(description__icontains=search) | Q(dial__icontains=search)
        )
    return queryset.order_by(*SORTS.get(sort, SORTS["id"]))
