"""The Asterisk servers: list, add, read, change, delete; each write is the Servers page's service.
The AMI and IAX2 secrets are never in an answer (`ami_secret_set` says whether one is saved)."""

from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.response import Response

from api.base import ApiView, Pages, parse
from api.errors import ERRORS, IN_USE_RESPONSE, NO_SUCH_PAGE, NOT_FOUND, UNSUPPORTED
from api.server_serializers import ServerChange, ServerIn, ServerOut, server_states
from api.versions import ETAG, IF_MATCH, STALE_RESPONSE, etag, if_match, stale_is_412
from directory.servers.models import Server
from directory.servers.selectors import server_list
from directory.servers.services import (
    build_server,
    server_create,
    server_delete,
    server_set_default,
    server_update,
    server_update_check,
    server_version,
)

WRITE_ERRORS = {**ERRORS, **UNSUPPORTED}


class ServerShapes(ApiView):
    def shape(self, servers, *, many: bool):
        servers = list(servers) if many else [servers]
        context = {**self.get_serializer_context(), "states": server_states(servers)}
        return ServerOut(servers if many else servers[0], many=many, context=context).data

    def server(self, server_id) -> Server:
        return get_object_or_404(server_list(), pk=server_id)


def _is_default_rule(fields: dict) -> dict[str, list[str]]:
    if fields.get("is_default") is False:
        return {"is_default": ["Make another server the default instead."]}
    return {}


@extend_schema_view(
    get=extend_schema(summary="List the Asterisk servers, the default first, with each one's state",
                      responses={200: ServerOut, **ERRORS, **NO_SUCH_PAGE}),
    post=extend_schema(summary="Add a server (its IAX2 secret is generated)", request=ServerIn,
                       responses={201: ServerOut, **WRITE_ERRORS}),
)  # fmt: skip
class ServerList(ServerShapes, generics.ListCreateAPIView):
    pagination_class = Pages
    serializer_class = ServerOut

    def list(self, request):
        page = self.paginate_queryset(server_list())
        return self.get_paginated_response(self.shape(page, many=True))

    def create(self, request):
        server = server_create(**parse(self, ServerIn, check=lambda f: build_server(**f)))
        return Response(self.shape(self.server(server.pk), many=False), status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(
        summary="Read a server", parameters=[ETAG], responses={200: ServerOut, **ERRORS, **NOT_FOUND}
    ),
    patch=extend_schema(
        summary="Change a server (only the fields sent; `is_default: true` makes it the default; If-Match: "
        "only if unchanged since read)",
        parameters=[IF_MATCH, ETAG],
        request=ServerChange,
        responses={200: ServerOut, **WRITE_ERRORS, **NOT_FOUND, **STALE_RESPONSE},
    ),
    delete=extend_schema(
        summary="Delete a server (409 while users or devices are on it; the default server is refused)",
        responses={204: None, **ERRORS, **NOT_FOUND, **IN_USE_RESPONSE},
    ),
)
class ServerDetail(ServerShapes, generics.GenericAPIView):
    http_method_names = ["get", "patch", "delete", "head"]
    serializer_class = ServerOut

    def get(self, request, server_id):
        return self.answer(self.server(server_id))

    def patch(self, request, server_id):
        server = self.server(server_id)

        def check(fields):
            fields = {k: v for k, v in fields.items() if k != "is_default"}
            server_update_check(server=server, **fields)

        fields = parse(self, ServerChange, partial=True, rules=_is_default_rule, check=check)
        make_default = fields.pop("is_default", False)
        # One change, all or nothing: the fields and the default together.
        with stale_is_412(), transaction.atomic():
            server = server_update(server=server, expected_version=if_match(request), **fields)
            if make_default:
                server_set_default(server=server)
        return self.answer(self.server(server_id))

    def answer(self, server: Server) -> Response:
        response = Response(self.shape(server, many=False))
        response["ETag"] = etag(server_version(server))
        return response

    def delete(self, request, server_id):
        server_delete(server=self.server(server_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
