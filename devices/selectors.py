from django.db.models import Q, QuerySet
from django.db.models.functions import Length

from devices.models import Device

SORTS = {
    "id": (Length("id").asc(), "id"),
    "-id": (Length("id").desc(), "-id"),
    "tech": ("tech", Length("id").asc(), "id"),
    "-tech": ("-tech", Length("id").asc(), "id"),
    "description": ("description", "id"),
    "-description": ("-description", "id"),
}


def device_list(*, search: str = "", sort: str = "id") -> QuerySet:
    queryset = Device.objects.select_related("user", "default_user")
    search = search.strip()
    if search:
        queryset = queryset.filter(
            Q(id__startswith=search) | Q(description__icontains=search) | Q(dial__icontains=search)
        )
    return queryset.order_by(*SORTS.get(sort, SORTS["id"]))
