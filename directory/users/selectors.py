"""Reads for the Extensions and Users pages: a constant number of queries whatever the count."""

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Length, Lower

from directory.devices.models import ARRIVAL_ORDER, Device
from directory.folding import fold
from directory.users.models import PbxUser

# Numbers are strings: ordered by length, then value, so 818 < 3299 < 5001.
BY_NUMBER = (Length("extension").asc(), "extension")
SORTS = {
    "extension": BY_NUMBER,
    "-extension": (Length("extension").desc(), "-extension"),
    "name": (Lower("name"), *BY_NUMBER),
    "-name": (Lower("name").desc(), *BY_NUMBER),
    "tech": ("tech", *BY_NUMBER),
    "-tech": ("-tech", *BY_NUMBER),
}
# How many suggestions the user search sends: enough to pick from, few enough to stay instant.
SUGGESTIONS = 20


def _search(queryset: QuerySet, search: str) -> QuerySet:
    search = search.strip()
    if not search:
        return queryset
    folded = fold(search)
    if search.isascii() and search.isdigit():
        return queryset.filter(Q(extension__startswith=search) | Q(name_folded__contains=folded))
    return queryset.filter(name_folded__contains=folded)


def extension_list(
    *, search: str = "", sort: str = "extension", tech: str = "", devicetype: str = "", secret: str = ""
) -> QuerySet:
    """Users with the technology, type and dial string of their own (same-number) device.

    `tech="none"` keeps the extensions with no device of their own (virtual);
    `secret="weak"` those whose device keeps a weak secret (a migration's choice).
    """
    own = Device.objects.filter(pk=OuterRef("pk"))
    queryset = PbxUser.objects.select_related("server").annotate(
        tech=Subquery(own.values("tech")[:1]),
        devicetype=Subquery(own.values("devicetype")[:1]),
        dial=Subquery(own.values("dial")[:1]),
        weak_credential=Subquery(own.values("weak_credential")[:1]),
    )
    if tech == "none":
        queryset = queryset.exclude(pk__in=Device.objects.values("pk"))
    elif tech:
        queryset = queryset.filter(pk__in=Device.objects.filter(tech=tech).values("pk"))
    if devicetype:
        queryset = queryset.filter(pk__in=Device.objects.filter(devicetype=devicetype).values("pk"))
    if secret == "weak":  # noqa: S105 (a filter value, not a password)
        queryset = queryset.filter(pk__in=Device.objects.filter(weak_credential=True).values("pk"))
    return _search(queryset, search).order_by(*SORTS.get(sort, SORTS["extension"]))


def user_list(*, search: str = "", sort: str = "extension", tech: str = "", devicetype: str = "") -> QuerySet:
    """Users with the devices they are on now (one extra query for the page).

    `tech` and `devicetype` keep the users on at least one such device now (one
    device that is both, when both are given), each user once; `tech="none"`
    keeps the users on no device.
    """
    on_now = Device.objects.order_by(*ARRIVAL_ORDER).only("id", "user_id")
    queryset = PbxUser.objects.select_related("server").prefetch_related(
        Prefetch("devices", queryset=on_now, to_attr="devices_now")
    )
    if tech == "none":
        queryset = queryset.filter(~Exists(Device.objects.filter(user=OuterRef("pk"))))
    such = {"tech": tech} if tech not in ("", "none") else {}
    if devicetype:
        such["devicetype"] = devicetype
    if such:
        # A semi-join run once: a correlated EXISTS here has SQLite scan the tech index for every user.
        queryset = queryset.filter(pk__in=Device.objects.filter(**such).values("user_id"))
    sort = sort if sort in ("extension", "-extension", "name", "-name") else "extension"
    return _search(queryset, search).order_by(*SORTS[sort])


def user_search(*, search: str, limit: int = SUGGESTIONS) -> list[dict[str, str]]:
    """Users whose number starts with, or whose name contains, the search: for the user choice."""
    queryset = _search(PbxUser.objects.all(), search) if search.strip() else PbxUser.objects.all()
    return list(queryset.order_by(*BY_NUMBER).values("extension", "name")[:limit])


def devices_of(user: PbxUser) -> list[Device]:
    return list(Device.objects.filter(user=user).order_by(*ARRIVAL_ORDER))
