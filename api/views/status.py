"""Read-only phone status, and the link to Asterisk (with "sync now")."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from api import queries
from api.base import ApiView, Pages
from api.errors import ERRORS, NO_SUCH_PAGE, NOT_FOUND
from api.server_serializers import ServerOut, ServerStateOut, server_states
from asterisk.boundary import (
    BANNER_STATES,
    LINK_STATES,
    PhoneState,
    as_json_with_last_known,
    device_states,
    request_sync,
    sync_report,
)
from directory.devices.models import Device
from directory.devices.selectors import device_list
from directory.servers.selectors import server_list, several
from portal.mode import EXTENSIONS, pbx_mode

PhoneStatusOut = inline_serializer(
    "PhoneStatus",
    {
        "id": serializers.CharField(),
        "tech": serializers.CharField(),
        "state": serializers.ChoiceField(PhoneState.choices),
        "address": serializers.CharField(allow_null=True, help_text="host:port the phone registered from"),
        "user_agent": serializers.CharField(allow_null=True),
        "rtt_ms": serializers.FloatField(allow_null=True),
        "since": serializers.DateTimeField(
            allow_null=True,
            help_text="When the state last changed; while `stale`, when the link to Asterisk went down.",
        ),
        "stale": serializers.BooleanField(
            help_text="The AMI event listener is not connected to Asterisk: `state` is unknown, and "
            "address, user agent and round trip are what Asterisk said last."
        ),
        "last_known_state": serializers.ChoiceField(
            PhoneState.choices, help_text="What Asterisk said last (the same as `state` unless stale)."
        ),
        "last_known_since": serializers.DateTimeField(allow_null=True),
    },
)


def _rows(devices) -> list[dict]:
    states = device_states(d.id for d in devices)
    return [as_json_with_last_known(states[d.id], d.tech) for d in devices]


@extend_schema(
    summary="List the phones' status (as the AMI event listener keeps it)",
    parameters=[queries.PhoneStatusQuery],
    responses={200: PhoneStatusOut, **ERRORS, **NO_SUCH_PAGE},
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


ListenerOut = inline_serializer(
    "EventListener",
    {
        "state": serializers.ChoiceField(
            LINK_STATES,
            help_text="connected; down (the link dropped, or Asterisk does not answer); login (refused); "
            "stopped; silent (it stopped writing signs of life: not running); never (it never ran).",
        ),
        "current": serializers.BooleanField(help_text="Whether the phones' states are current."),
        "since": serializers.DateTimeField(allow_null=True, help_text="When the link last went up or down."),
        "error": serializers.CharField(allow_null=True),
        "text": serializers.CharField(
            allow_null=True, help_text="e.g. status unknown since 10:42: the link to Asterisk is down"
        ),
    },
)
SyncOut = inline_serializer(
    "SyncStatus",
    {
        "state": serializers.ChoiceField(
            BANNER_STATES,
            help_text="never (no run has reached Asterisk), connected, busy (Asterisk took a reload and "
            "had not finished it in AMI_RELOAD_TIMEOUT: waited for, never called unreachable), "
            "unreachable, login (refused), action (Asterisk refused a change) or files (the config "
            "files could not be written).",
        ),
        "headline": serializers.CharField(help_text="The portal banner's words, for a dashboard."),
        "detail": serializers.CharField(),
        "hints": serializers.ListField(child=serializers.CharField(), help_text="What to check."),
        "error": serializers.CharField(allow_null=True, help_text="The last error, as raised."),
        "error_at": serializers.DateTimeField(allow_null=True),
        "warning": serializers.CharField(allow_null=True, help_text="E.g. a module that did not reload."),
        "syncing": serializers.BooleanField(help_text="A run is asked for or under way."),
        "activity": serializers.CharField(
            allow_null=True,
            help_text="What the run under way is doing (a reload and since when, a full sync's "
            "progress), or null.",
        ),
        "reloading": serializers.CharField(
            allow_null=True, help_text="What Asterisk is reloading for the run under way, or null."
        ),
        "reloading_since": serializers.DateTimeField(allow_null=True),
        "progress": inline_serializer(
            "SyncProgress",
            {
                "what": serializers.CharField(),
                "done": serializers.IntegerField(),
                "total": serializers.IntegerField(),
            },
            allow_null=True,
            help_text="A long run's progress (a first full sync), or null.",
        ),
        "last_duration_s": serializers.FloatField(
            allow_null=True, help_text="How long the last successful run took, in seconds."
        ),
        "last_full": serializers.BooleanField(help_text="Whether the last successful run was a full sync."),
        "pending": inline_serializer(
            "SyncPending",
            # A field instance each: DRF binds a field to one name, so one shared instance
            # would be declared once, under the last name.
            {
                name: serializers.IntegerField()
                for name in ("extensions", "users", "devices", "files", "reloads", "total")
            },
            help_text="What waits to be sent: objects and files, not AstDB keys.",
        ),
        "last_success_at": serializers.DateTimeField(
            allow_null=True, help_text="The last run that succeeded."
        ),
        "last_connected_at": serializers.DateTimeField(allow_null=True),
        "last_actions": serializers.IntegerField(help_text="AMI actions the last successful run sent."),
        "runs": serializers.IntegerField(help_text="Successful runs so far."),
        "phones": serializers.CharField(
            allow_null=True, help_text="Why the phones' states are not current, or null while they are."
        ),
        "listener": ListenerOut,
        "servers": ServerStateOut(
            many=True,
            required=False,
            help_text="Each server's link, by name (only while there are several servers and the "
            "boundary reports them).",
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
    report = sync_report(per_extension=pbx_mode() == EXTENSIONS)
    if several():
        servers = list(server_list())
        states = server_states(servers)
        if states:
            report["servers"] = [
                {"name": server.name, **ServerOut(context={"states": states}).get_state(server)}
                for server in servers
                if states.get(server.pk) is not None
            ]
    return report
