"""Read-only phone status, and the link to Asterisk (with "sync now")."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from api import queries
from api.base import ApiView, Pages
from api.errors import ERRORS, NOT_FOUND
from asterisk.models import PhoneState, SyncStatus
from asterisk.selectors import as_json, device_states
from asterisk.tasks import request_sync
from devices.models import Device
from devices.selectors import device_list
from portal.banner import banner
from portal.mode import pbx_mode

PhoneStatusOut = inline_serializer(
    "PhoneStatus",
    {
        "id": serializers.CharField(),
        "tech": serializers.CharField(),
        "state": serializers.ChoiceField(PhoneState.values),
        "address": serializers.CharField(allow_null=True, help_text="host:port the phone registered from"),
        "user_agent": serializers.CharField(allow_null=True),
        "rtt_ms": serializers.FloatField(allow_null=True),
        "since": serializers.DateTimeField(allow_null=True, help_text="When the state last changed."),
    },
)


def _rows(devices) -> list[dict]:
    states = device_states(d.id for d in devices)
    return [as_json(states[d.id], d.tech) for d in devices]


@extend_schema(
    summary="List the phones' status (as the AMI event listener keeps it)",
    parameters=[queries.PhoneStatusQuery],
    responses={200: PhoneStatusOut, **ERRORS},
)
class PhoneStatusList(ApiView, generics.ListAPIView):
    pagination_class = Pages
    serializer_class = PhoneStatusOut

    def list(self, request):
        query = queries.PhoneStatusQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        devices = query.narrow(device_list(**query.selector_kwargs()).select_related(None).only("id", "tech"))
        return self.get_paginated_response(_rows(self.paginate_queryset(devices)))


@extend_schema(summary="Read one phone's status", responses={200: PhoneStatusOut, **ERRORS, **NOT_FOUND})
class PhoneStatusDetail(ApiView, generics.GenericAPIView):
    serializer_class = PhoneStatusOut

    def get(self, request, device_id):
        return Response(_rows([get_object_or_404(Device.objects.only("id", "tech"), pk=device_id)])[0])


SyncOut = inline_serializer(
    "SyncStatus",
    {
        "state": serializers.CharField(help_text="never, connected, unreachable, login, action or files."),
        "headline": serializers.CharField(),
        "detail": serializers.CharField(),
        "hints": serializers.ListField(child=serializers.CharField()),
        "error": serializers.CharField(),
        "warning": serializers.CharField(),
        "pending": serializers.CharField(help_text="What waits to be sent, in words."),
        "pending_total": serializers.IntegerField(),
        "last_sync": serializers.CharField(),
        "syncing": serializers.BooleanField(),
        "runs": serializers.IntegerField(),
        "error_at": serializers.CharField(),
        "outcome": serializers.CharField(),
        "tone": serializers.CharField(),
        "last_success_at": serializers.DateTimeField(
            allow_null=True, help_text="The last run that succeeded."
        ),
    },
)


@extend_schema_view(
    get=extend_schema(
        summary="The link to Asterisk, as the portal's banner says it", responses={200: SyncOut, **ERRORS}
    ),
    post=extend_schema(
        summary="Sync now: ask for a run even if nothing waits",
        request=None,
        responses={202: SyncOut, **ERRORS},
    ),
)
class SyncStatusView(ApiView, generics.GenericAPIView):
    serializer_class = SyncOut

    def get(self, request):
        return Response(_sync_json())

    def post(self, request):
        request_sync(force=True)
        return Response(_sync_json(), status=status.HTTP_202_ACCEPTED)


def _sync_json() -> dict:
    last = SyncStatus.get().last_success_at
    return {**banner(mode=pbx_mode()).as_json(), "last_success_at": last.isoformat() if last else None}
