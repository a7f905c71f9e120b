"""Reads for the Extensions and Users pages: a constant number of queries whatever the count."""

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Length

from devices.models import ARRIVAL_ORDER, Device
from users.models import PbxUser

SORTS = {
    "extension": (Length("extension").asc(), "extension"),
    "-extension": (Length("extension").desc(), "-extension"),
    "name": ("name", "extension"),
    "-name": ("-name", "extension"),
    "tech": ("tech", Length("extension").asc(), "extension"),
    "-tech": ("-tech", Length("extension").asc(), "extension"),
}


def _search(queryset: QuerySet, search: str) -> QuerySet:
    search = search.strip()
    if not search:
        return queryset
    if search.isascii() and search.isdigit():
        return queryset.filter(Q(extension__startswith=search) | Q(name__icontains=search))
    return queryset.filter(name__icontains=search)


def extension_list(*, search: str = "", sort: str = "extension") -> QuerySet:
    """Users with the technology and dial string of their own (same-number) device."""
    own = Device.objects.filter(pk=OuterRef("pk"))
    queryset = PbxUser.objects.annotate(
        tech=Subquery(own.values("tech")[:1]),
        dial=Subquery(own.values("dial")[:1]),
    )
    return _search(queryset, search).order_by(*SORTS.get(sort, SORTS["extension"]))


def user_list(*, search: str = "", sort: str = "extension") -> QuerySet:
    """Users with the devices they are on now (one extra query for the page)."""
    on_now = Device.objects.order_by(*ARRIVAL_ORDER).only("id", "user_id")
    queryset = PbxUser.objects.prefetch_related(Prefetch("devices", queryset=on_now, to_attr="devices_now"))
    sort = sort if sort in ("extension", "-extension", "name", "-name") else "extension"
    return _search(queryset, search).order_by(*SORTS[sort])


def devices_of(user: PbxUser) -> list[Device]:
    return list(Device.objects.filter(user=user).order_by(*ARRIVAL_ORDER))
