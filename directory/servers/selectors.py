"""Reads about the servers, for the Servers page, the API, the lists' server filter and the files."""

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from directory.devices.models import Device
from directory.servers.models import Server
from directory.users.models import PbxUser


def server_list() -> QuerySet:
    """Every server, the default first, with how many users and devices are on each."""
    return Server.objects.annotate(user_count=_count_on(PbxUser), device_count=_count_on(Device)).order_by(
        "-is_default", "name"
    )


def _count_on(model) -> Coalesce:
    # One subquery each: two joins in one query would count users times devices rows per server.
    counted = (
        model.objects.filter(server=OuterRef("pk"))
        .order_by()
        .values("server")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def several() -> bool:
    """Whether there is more than one server: with one, the pages, the API answers and the files
    say nothing of servers (a single-PBX installation sees nothing new)."""
    return Server.objects.count() > 1


def server_names() -> list[str]:
    return list(Server.objects.order_by("-is_default", "name").values_list("name", flat=True))


def on_server(queryset: QuerySet, server: str) -> QuerySet:
    """Users or devices (any queryset of a model with a `server`) on the server named `server`;
    an empty name keeps them all."""
    return queryset.filter(server__name=server) if server else queryset
