"""Extensions, users and devices, and hot desking: each write is the pages' service."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.response import Response

from api import queries
from api.base import ApiView, Pages, SecretsQuery, parse, server_rule, with_server, without_server
from api.errors import ERRORS, IN_USE_RESPONSE, NO_SUCH_PAGE, NOT_FOUND, UNSUPPORTED
from api.serializers import (
    DeviceChange,
    DeviceIn,
    DeviceOut,
    ExtensionChange,
    ExtensionIn,
    ExtensionOut,
    HotDeskLogin,
    UserChange,
    UserIn,
    UserOut,
)
from api.versions import ETAG, IF_MATCH, STALE_RESPONSE, etag, if_match, stale_is_412
from asterisk.boundary import device_states
from directory.devices.models import Device
from directory.devices.selectors import device_list
from directory.devices.services import (
    build_device,
    device_create,
    device_delete,
    device_login,
    device_logout,
    device_update,
    device_update_check,
    device_version,
)
from directory.servers.services import create_on, update_on
from directory.users.extensions import (
    build_extension,
    extension_create,
    extension_delete,
    extension_update,
    extension_update_check,
    extension_version,
)
from directory.users.models import PbxUser
from directory.users.selectors import extension_list, user_list
from directory.users.services import (
    build_user,
    user_create,
    user_delete,
    user_update,
    user_update_check,
    user_version,
)

DETAIL_METHODS = ["get", "patch", "delete", "head"]


# Every write's documented answers besides its own: a refused body, a body of another type.
WRITE_ERRORS = {**ERRORS, **UNSUPPORTED}


def _versioned(response: Response, version: str) -> Response:
    response["ETag"] = etag(version)
    return response


def parse_query(view, query_class, **kwargs):
    query = query_class(data=view.request.query_params, **kwargs)
    query.is_valid(raise_exception=True)
    return query


# --- Extensions -------------------------------------------------------------


class ExtensionShapes(ApiView):
    holds_secrets = True

    def shape(self, users, *, many: bool):
        users = list(users) if many else [users]
        devices = Device.objects.select_related("endpoint").in_bulk([u.pk for u in users])
        context = {**self.get_serializer_context(), "devices": devices, "states": device_states(devices)}
        return ExtensionOut(users if many else users[0], many=many, context=context).data


@extend_schema_view(
    get=extend_schema(
        summary="List extensions",
        parameters=[queries.ExtensionQuery],
        responses={200: ExtensionOut, **ERRORS, **NO_SUCH_PAGE},
    ),
    post=extend_schema(
        summary="Create an extension (user, fixed device and endpoint)",
        parameters=[SecretsQuery],
        request=ExtensionIn,
        responses={201: ExtensionOut, **WRITE_ERRORS, **IN_USE_RESPONSE},
    ),
)
class ExtensionList(ExtensionShapes, generics.ListCreateAPIView):
    pagination_class = Pages
    serializer_class = ExtensionOut

    def list(self, request):
        query = parse_query(self, queries.ExtensionQuery)
        page = self.paginate_queryset(query.narrow(extension_list(**query.selector_kwargs())))
        return self.get_paginated_response(self.shape(page, many=True))

    def create(self, request):
        fields = parse(
            self, ExtensionIn, rules=server_rule, check=lambda f: build_extension(**with_server(f))
        )
        user = create_on(create=extension_create, **fields)
        return Response(self.shape(user, many=False), status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(
        summary="Read an extension",
        parameters=[SecretsQuery, ETAG],
        responses={200: ExtensionOut, **ERRORS, **NOT_FOUND},
    ),
    patch=extend_schema(
        summary="Change an extension (only the fields sent; If-Match: only if unchanged since read)",
        parameters=[SecretsQuery, IF_MATCH, ETAG],
        request=ExtensionChange,
        responses={200: ExtensionOut, **WRITE_ERRORS, **NOT_FOUND, **STALE_RESPONSE},
    ),
    delete=extend_schema(
        summary="Delete an extension (its user and own device)", responses={204: None, **ERRORS, **NOT_FOUND}
    ),
)
class ExtensionDetail(ExtensionShapes, generics.GenericAPIView):
    http_method_names = DETAIL_METHODS
    serializer_class = ExtensionOut
    lookup_url_kwarg = "extension"

    def get(self, request, extension):
        return self.answer(get_object_or_404(PbxUser, pk=extension))

    def patch(self, request, extension):
        user = get_object_or_404(PbxUser, pk=extension)
        device = Device.objects.select_related("endpoint").filter(pk=user.pk).first()
        fields = parse(
            self,
            ExtensionChange,
            partial=True,
            rules=server_rule,
            check=lambda f: extension_update_check(user=user, device=device, **without_server(f)),
        )
        with stale_is_412():
            user = update_on(update=extension_update, user=user, expected_version=if_match(request), **fields)
        return self.answer(user)

    def answer(self, user: PbxUser) -> Response:
        device = Device.objects.only("id", "updated_at").filter(pk=user.pk).first()
        return _versioned(Response(self.shape(user, many=False)), extension_version(user, device))

    def delete(self, request, extension):
        extension_delete(user=get_object_or_404(PbxUser, pk=extension))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Users (the deviceanduser mode's view of the same people) ------------------


class UserShapes(ApiView):
    holds_secrets = True

    def shape(self, user) -> dict:
        user = user_list().filter(pk=user.pk).get()
        return UserOut(user, context=self.get_serializer_context()).data


@extend_schema_view(
    get=extend_schema(
        summary="List users",
        parameters=[queries.UserQuery],
        responses={200: UserOut, **ERRORS, **NO_SUCH_PAGE},
    ),
    post=extend_schema(
        summary="Create a user (no device)",
        parameters=[SecretsQuery],
        request=UserIn,
        responses={201: UserOut, **WRITE_ERRORS, **IN_USE_RESPONSE},
    ),
)
class UserList(UserShapes, generics.ListCreateAPIView):
    pagination_class = Pages
    serializer_class = UserOut

    def list(self, request):
        query = parse_query(self, queries.UserQuery, device_field="devices__id")
        page = self.paginate_queryset(query.narrow(user_list(**query.selector_kwargs())))
        return self.get_paginated_response(
            UserOut(page, many=True, context=self.get_serializer_context()).data
        )

    def create(self, request):
        fields = parse(self, UserIn, rules=server_rule, check=lambda f: build_user(**with_server(f)))
        user = create_on(create=user_create, **fields)
        return Response(self.shape(user), status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(
        summary="Read a user",
        parameters=[SecretsQuery, ETAG],
        responses={200: UserOut, **ERRORS, **NOT_FOUND},
    ),
    patch=extend_schema(
        summary="Change a user (only the fields sent; If-Match: only if unchanged since read)",
        parameters=[SecretsQuery, IF_MATCH, ETAG],
        request=UserChange,
        responses={200: UserOut, **WRITE_ERRORS, **NOT_FOUND, **STALE_RESPONSE},
    ),
    delete=extend_schema(
        summary="Delete a user (their devices are left with no user)",
        responses={204: None, **ERRORS, **NOT_FOUND},
    ),
)
class UserDetail(UserShapes, generics.GenericAPIView):
    http_method_names = DETAIL_METHODS
    serializer_class = UserOut

    def get(self, request, extension):
        user = get_object_or_404(PbxUser, pk=extension)
        return _versioned(Response(self.shape(user)), user_version(user))

    def patch(self, request, extension):
        user = get_object_or_404(PbxUser, pk=extension)
        fields = parse(
            self,
            UserChange,
            partial=True,
            rules=server_rule,
            check=lambda f: user_update_check(user=user, **without_server(f)),
        )
        with stale_is_412():
            user = update_on(update=user_update, user=user, expected_version=if_match(request), **fields)
        return _versioned(Response(self.shape(user)), user_version(user))

    def delete(self, request, extension):
        user_delete(user=get_object_or_404(PbxUser, pk=extension))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Devices ----------------------------------------------------------------


class DeviceShapes(ApiView):
    holds_secrets = True

    def shape(self, devices, *, many: bool):
        devices = list(devices) if many else [devices]
        context = {**self.get_serializer_context(), "states": device_states(d.pk for d in devices)}
        return DeviceOut(devices if many else devices[0], many=many, context=context).data

    def device(self, device_id: str) -> Device:
        return get_object_or_404(Device.objects.select_related("endpoint"), pk=device_id)


@extend_schema_view(
    get=extend_schema(
        summary="List devices",
        parameters=[queries.DeviceQuery],
        responses={200: DeviceOut, **ERRORS, **NO_SUCH_PAGE},
    ),
    post=extend_schema(
        summary="Create a device with its technology settings",
        parameters=[SecretsQuery],
        request=DeviceIn,
        responses={201: DeviceOut, **WRITE_ERRORS, **IN_USE_RESPONSE},
    ),
)
class DeviceList(DeviceShapes, generics.ListCreateAPIView):
    pagination_class = Pages
    serializer_class = DeviceOut

    def list(self, request):
        query = parse_query(self, queries.DeviceQuery)
        devices = device_list(**query.selector_kwargs()).select_related("endpoint")
        page = self.paginate_queryset(query.narrow(devices))
        return self.get_paginated_response(self.shape(page, many=True))

    def create(self, request):
        fields = parse(self, DeviceIn, rules=server_rule, check=lambda f: build_device(**with_server(f)))
        device = create_on(create=device_create, **fields)
        return Response(self.shape(self.device(device.pk), many=False), status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(
        summary="Read a device",
        parameters=[SecretsQuery, ETAG],
        responses={200: DeviceOut, **ERRORS, **NOT_FOUND},
    ),
    patch=extend_schema(
        summary="Change a device (only the fields sent; the id and technology stay; If-Match: only if "
        "unchanged since read)",
        parameters=[SecretsQuery, IF_MATCH, ETAG],
        request=DeviceChange,
        responses={200: DeviceOut, **WRITE_ERRORS, **NOT_FOUND, **STALE_RESPONSE},
    ),
    delete=extend_schema(summary="Delete a device", responses={204: None, **ERRORS, **NOT_FOUND}),
)
class DeviceDetail(DeviceShapes, generics.GenericAPIView):
    http_method_names = DETAIL_METHODS
    serializer_class = DeviceOut

    def get(self, request, device_id):
        return self.answer(self.device(device_id))

    def patch(self, request, device_id):
        device = self.device(device_id)
        fields = parse(
            self,
            DeviceChange,
            partial=True,
            check=lambda f: device_update_check(device=device, **f),
        )
        with stale_is_412():
            device_update(device=device, expected_version=if_match(request), **fields)
        return self.answer(self.device(device_id))

    def answer(self, device: Device) -> Response:
        return _versioned(Response(self.shape(device, many=False)), device_version(device))

    def delete(self, request, device_id):
        device_delete(device=self.device(device_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(
    summary="Hot desking: log a user into an adhoc device",
    parameters=[SecretsQuery],
    request=HotDeskLogin,
    responses={200: DeviceOut, **WRITE_ERRORS, **NOT_FOUND},
)
class DeviceLogin(DeviceShapes, generics.GenericAPIView):
    serializer_class = HotDeskLogin

    def post(self, request, device_id):
        device = self.device(device_id)
        device_login(device=device, user=parse(self, HotDeskLogin)["extension"])
        return Response(self.shape(self.device(device_id), many=False))


@extend_schema(
    summary="Hot desking: give an adhoc device back to its default user",
    parameters=[SecretsQuery],
    request=None,
    responses={200: DeviceOut, **ERRORS, **NOT_FOUND},
)
class DeviceLogout(DeviceShapes, generics.GenericAPIView):
    serializer_class = DeviceOut

    def post(self, request, device_id):
        device_logout(device=self.device(device_id))
        return Response(self.shape(self.device(device_id), many=False))
