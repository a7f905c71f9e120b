"""Reads for the Connectivity pages, the API, exports and the renderers."""

import re

from django.db.models import Prefetch, QuerySet

from directory.connectivity.models import InboundRoute, OutboundRoute, RouteTrunk, Trunk


def trunk_list(*, tech: str = "") -> QuerySet[Trunk]:
    """Trunks by name, with the routes that use them (`routes`)."""
    queryset = Trunk.objects.select_related("server").prefetch_related("routes")
    if tech:
        queryset = queryset.filter(tech=tech)
    return queryset.order_by("name")


def trunk_get(*, pk: int) -> Trunk:
    return Trunk.objects.get(pk=pk)


def outbound_route_list() -> QuerySet[OutboundRoute]:
    """Routes in the order they are tried, each with `sequence` (its RouteTrunks with their
    trunks, in order)."""
    return OutboundRoute.objects.order_by("position", "id").prefetch_related(
        Prefetch(
            "route_trunks",
            queryset=RouteTrunk.objects.select_related("trunk").order_by("position"),
            to_attr="sequence",
        )
    )


def outbound_route_get(*, pk: int) -> OutboundRoute:
    return outbound_route_list().get(pk=pk)


def _specificity(pattern: str) -> tuple[int, int, str]:
    """Exact numbers first, then patterns with more fixed digits, then wider ones; empty last."""
    if not pattern:
        return (3, 0, "")
    if not pattern.startswith("_"):
        return (0, -len(pattern), pattern)
    body = pattern[1:]
    fixed = len(re.findall(r"[0-9+*#]", re.sub(r"\[[^\]]*\]", "", body)))
    return (2 if body.endswith(".") else 1, -fixed, pattern)


def inbound_route_sort_key(route: InboundRoute) -> tuple:
    """FreePBX's order, most specific first: a DID before any DID, a caller number before any
    caller, exact before patterns; the catch-all last."""
    return (_specificity(route.did), _specificity(route.cid))


def inbound_route_list() -> list[InboundRoute]:
    """Inbound routes, most specific first (the order calls are matched in)."""
    return sorted(InboundRoute.objects.select_related("user"), key=inbound_route_sort_key)


def inbound_route_get(*, pk: int) -> InboundRoute:
    return InboundRoute.objects.select_related("user").get(pk=pk)
