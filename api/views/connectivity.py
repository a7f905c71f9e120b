"""Trunks, outbound routes (and their order) and inbound routes: each write is the pages' service."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.response import Response

from api.base import ApiView, Pages, SecretsQuery, parse
from api.connectivity_serializers import (
    InboundRouteIn,
    InboundRouteOut,
    OutboundRouteChange,
    OutboundRouteIn,
    OutboundRouteOrder,
    OutboundRouteOut,
    TrunkChange,
    TrunkIn,
    TrunkOut,
)
from api.errors import ERRORS, IN_USE_RESPONSE, NO_SUCH_PAGE, NOT_FOUND, UNSUPPORTED
from api.versions import ETAG, IF_MATCH, STALE_RESPONSE, etag, if_match, stale_is_412
from asterisk.boundary import trunk_registration_states
from directory.connectivity.models import InboundRoute, OutboundRoute, Trunk
from directory.connectivity.selectors import inbound_route_list, outbound_route_list, trunk_list
from directory.connectivity.services import (
    build_inbound_route,
    build_outbound_route,
    build_trunk,
    inbound_route_create,
    inbound_route_delete,
    inbound_route_update,
    inbound_route_update_check,
    inbound_route_version,
    outbound_route_create,
    outbound_route_delete,
    outbound_route_update,
    outbound_route_update_check,
    outbound_route_version,
    outbound_routes_reorder,
    trunk_create,
    trunk_delete,
    trunk_update,
    trunk_update_check,
    trunk_version,
)

DETAIL_METHODS = ["get", "patch", "delete", "head"]
WRITE_ERRORS = {**ERRORS, **UNSUPPORTED}


def _versioned(response: Response, version: str) -> Response:
    response["ETag"] = etag(version)
    return response


# --- Trunks -----------------------------------------------------------------


class TrunkShapes(ApiView):
    holds_secrets = True

    def shape(self, trunks, *, many: bool):
        trunks = list(trunks) if many else [trunks]
        context = {**self.get_serializer_context(), "states": trunk_registration_states(trunks)}
        return TrunkOut(trunks if many else trunks[0], many=many, context=context).data


@extend_schema_view(
    get=extend_schema(
        summary="List trunks, with their registration", responses={200: TrunkOut, **ERRORS, **NO_SUCH_PAGE}
    ),
    post=extend_schema(
        summary="Create a trunk",
        parameters=[SecretsQuery],
        request=TrunkIn,
        responses={201: TrunkOut, **WRITE_ERRORS, **IN_USE_RESPONSE},
    ),
)
class TrunkList(TrunkShapes, generics.ListCreateAPIView):
    pagination_class = Pages
    serializer_class = TrunkOut

    def list(self, request):
        page = self.paginate_queryset(trunk_list())
        return self.get_paginated_response(self.shape(page, many=True))

    def create(self, request):
        trunk = trunk_create(**parse(self, TrunkIn, check=lambda f: build_trunk(**f)))
        return Response(self.shape(trunk, many=False), status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(
        summary="Read a trunk",
        parameters=[SecretsQuery, ETAG],
        responses={200: TrunkOut, **ERRORS, **NOT_FOUND},
    ),
    patch=extend_schema(
        summary="Change a trunk (only the fields sent; If-Match: only if unchanged since read)",
        parameters=[SecretsQuery, IF_MATCH, ETAG],
        request=TrunkChange,
        responses={200: TrunkOut, **WRITE_ERRORS, **NOT_FOUND, **STALE_RESPONSE, **IN_USE_RESPONSE},
    ),
    delete=extend_schema(
        summary="Delete a trunk (refused with 409 while a route uses it)",
        responses={204: None, **ERRORS, **NOT_FOUND, **IN_USE_RESPONSE},
    ),
)
class TrunkDetail(TrunkShapes, generics.GenericAPIView):
    http_method_names = DETAIL_METHODS
    serializer_class = TrunkOut

    def get(self, request, trunk_id):
        return self.answer(get_object_or_404(Trunk, pk=trunk_id))

    def patch(self, request, trunk_id):
        trunk = get_object_or_404(Trunk, pk=trunk_id)
        fields = parse(self, TrunkChange, partial=True, check=lambda f: trunk_update_check(trunk=trunk, **f))
        with stale_is_412():
            trunk = trunk_update(trunk=trunk, expected_version=if_match(request), **fields)
        return self.answer(trunk)

    def answer(self, trunk: Trunk) -> Response:
        return _versioned(Response(self.shape(trunk, many=False)), trunk_version(trunk))

    def delete(self, request, trunk_id):
        trunk_delete(trunk=get_object_or_404(Trunk, pk=trunk_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Outbound routes --------------------------------------------------------


class OutboundShapes(ApiView):
    holds_secrets = True

    def shape(self, routes, *, many: bool):
        return OutboundRouteOut(routes, many=many, context=self.get_serializer_context()).data

    def route(self, outbound_id) -> OutboundRoute:
        return get_object_or_404(outbound_route_list(), pk=outbound_id)


@extend_schema_view(
    get=extend_schema(
        summary="List outbound routes, in the order they are tried",
        responses={200: OutboundRouteOut, **ERRORS, **NO_SUCH_PAGE},
    ),
    post=extend_schema(
        summary="Create an outbound route (last in the order)",
        parameters=[SecretsQuery],
        request=OutboundRouteIn,
        responses={201: OutboundRouteOut, **WRITE_ERRORS, **IN_USE_RESPONSE},
    ),
)
class OutboundRouteList(OutboundShapes, generics.ListCreateAPIView):
    pagination_class = Pages
    serializer_class = OutboundRouteOut

    def list(self, request):
        page = self.paginate_queryset(outbound_route_list())
        return self.get_paginated_response(self.shape(page, many=True))

    def create(self, request):
        fields = parse(self, OutboundRouteIn, check=lambda f: build_outbound_route(**f))
        route = outbound_route_create(**fields)
        return Response(self.shape(self.route(route.pk), many=False), status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(
        summary="Read an outbound route",
        parameters=[SecretsQuery, ETAG],
        responses={200: OutboundRouteOut, **ERRORS, **NOT_FOUND},
    ),
    patch=extend_schema(
        summary="Change an outbound route (only the fields sent; If-Match: only if unchanged since read)",
        parameters=[SecretsQuery, IF_MATCH, ETAG],
        request=OutboundRouteChange,
        responses={200: OutboundRouteOut, **WRITE_ERRORS, **NOT_FOUND, **STALE_RESPONSE, **IN_USE_RESPONSE},
    ),
    delete=extend_schema(summary="Delete an outbound route", responses={204: None, **ERRORS, **NOT_FOUND}),
)
class OutboundRouteDetail(OutboundShapes, generics.GenericAPIView):
    http_method_names = DETAIL_METHODS
    serializer_class = OutboundRouteOut

    def get(self, request, outbound_id):
        return self.answer(self.route(outbound_id))

    def patch(self, request, outbound_id):
        route = self.route(outbound_id)
        fields = parse(
            self,
            OutboundRouteChange,
            partial=True,
            check=lambda f: outbound_route_update_check(route=route, **f),
        )
        with stale_is_412():
            outbound_route_update(route=route, expected_version=if_match(request), **fields)
        return self.answer(self.route(outbound_id))

    def answer(self, route: OutboundRoute) -> Response:
        return _versioned(Response(self.shape(route, many=False)), outbound_route_version(route))

    def delete(self, request, outbound_id):
        outbound_route_delete(route=self.route(outbound_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(
    summary="Put the outbound routes in a new order (every route once)",
    parameters=[SecretsQuery],
    request=OutboundRouteOrder,
    responses={200: OutboundRouteOut(many=True), **WRITE_ERRORS},
)
class OutboundRouteOrderView(OutboundShapes, generics.GenericAPIView):
    serializer_class = OutboundRouteOrder

    def post(self, request):
        outbound_routes_reorder(routes=parse(self, OutboundRouteOrder)["routes"])
        return Response(self.shape(outbound_route_list(), many=True))


# --- Inbound routes ---------------------------------------------------------


@extend_schema_view(
    get=extend_schema(
        summary="List inbound routes, most specific first (the order calls are matched in)",
        responses={200: InboundRouteOut, **ERRORS, **NO_SUCH_PAGE},
    ),
    post=extend_schema(
        summary="Create an inbound route (DID and caller ID empty: the catch-all)",
        request=InboundRouteIn,
        responses={201: InboundRouteOut, **WRITE_ERRORS, **IN_USE_RESPONSE},
    ),
)
class InboundRouteList(ApiView, generics.ListCreateAPIView):
    pagination_class = Pages
    serializer_class = InboundRouteOut

    def list(self, request):
        page = self.paginate_queryset(inbound_route_list())
        return self.get_paginated_response(InboundRouteOut(page, many=True).data)

    def create(self, request):
        route = inbound_route_create(**parse(self, InboundRouteIn, check=lambda f: build_inbound_route(**f)))
        return Response(InboundRouteOut(route).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(
        summary="Read an inbound route",
        parameters=[ETAG],
        responses={200: InboundRouteOut, **ERRORS, **NOT_FOUND},
    ),
    patch=extend_schema(
        summary="Change an inbound route (only the fields sent; If-Match: only if unchanged since read)",
        parameters=[IF_MATCH, ETAG],
        request=InboundRouteIn,
        responses={200: InboundRouteOut, **WRITE_ERRORS, **NOT_FOUND, **STALE_RESPONSE, **IN_USE_RESPONSE},
    ),
    delete=extend_schema(summary="Delete an inbound route", responses={204: None, **ERRORS, **NOT_FOUND}),
)
class InboundRouteDetail(ApiView, generics.GenericAPIView):
    http_method_names = DETAIL_METHODS
    serializer_class = InboundRouteOut

    def get(self, request, inbound_id):
        return self.answer(get_object_or_404(InboundRoute, pk=inbound_id))

    def patch(self, request, inbound_id):
        route = get_object_or_404(InboundRoute, pk=inbound_id)
        fields = parse(
            self, InboundRouteIn, partial=True, check=lambda f: inbound_route_update_check(route=route, **f)
        )
        with stale_is_412():
            route = inbound_route_update(route=route, expected_version=if_match(request), **fields)
        return self.answer(route)

    def answer(self, route: InboundRoute) -> Response:
        return _versioned(Response(InboundRouteOut(route).data), inbound_route_version(route))

    def delete(self, request, inbound_id):
        inbound_route_delete(route=get_object_or_404(InboundRoute, pk=inbound_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
