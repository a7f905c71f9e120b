"""What every API view shares: the audit actor, `include_secrets`, and paging like the pages."""

import contextlib
import logging
from urllib.parse import urlencode

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.encoding import escape_uri_path
from rest_framework import exceptions, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.views import APIView

from api.errors import field_errors
from api.tokens import TOKEN_PREFIX
from audit import actors, trail
from audit.models import Action, ObjectType
from directory.paging import DEFAULT_PAGE_SIZE, PAGE_SIZES
from directory.servers.selectors import several
from directory.servers.services import server_named
from portal.roles import can_edit

# One line per call, with whose token made it: writes and secret reads are also in the
# audit log; this is the trail of everything else (reads, refusals).
access_log = logging.getLogger("api.access")


# Query parameters whose value is a credential by its name, whatever it holds.
_CREDENTIAL_PARAMETERS = frozenset(
    {"token", "access_token", "api_key", "apikey", "key", "secret", "password", "auth", "authorization"}
)
HIDDEN = "[hidden]"


def _loggable_url(request) -> str:
    """The URL with every credential in its query string hidden: a token sent there (a client
    that put it in the URL instead of the header) is never written to the log. A parameter
    is hidden by its name, or when its name or value holds a token (`pbx_…`)."""
    if not request.GET:
        return request.get_full_path()
    pairs = []
    for name, values in request.GET.lists():
        if TOKEN_PREFIX in name.lower():
            name = HIDDEN
        for value in values:
            credential = name.lower() in _CREDENTIAL_PARAMETERS or TOKEN_PREFIX in value.lower()
            pairs.append((name, HIDDEN if credential else value))
    # Percent-encoded again: nothing in it can start a new log line.
    return f"{escape_uri_path(request.path)}?{urlencode(pairs, safe='[]')}"


def _log_call(request, response) -> None:
    # The token authentication found, if it ran: a call refused before it (406, 415) must
    # not authenticate here, where a bad token's error would escape as a 500.
    token = request.__dict__.get("_auth")
    who = f"{token.user.get_username()} (token {token.prefix}, {token.name})" if token else "no valid token"
    access_log.info("%s %s %s by %s", request.method, _loggable_url(request), response.status_code, who)


class SeveralServers:
    """Whether there are several servers, asked once, when an answer first needs it: answers name a
    user's or device's server only then (with one server, an answer is as it always was)."""

    _value: bool | None = None

    def __bool__(self) -> bool:
        if self._value is None:
            self._value = several()
        return self._value


def without_server(fields: dict) -> dict:
    """The fields a directory service takes: the `server` is handed to the servers' services."""
    return {k: v for k, v in fields.items() if k != "server"}


def with_server(fields: dict) -> dict:
    """The fields a directory build check takes: the `server` as a Server (left out when no
    server has that name: `server_rule` says so)."""
    name = fields.get("server")
    if name is None:
        return dict(fields)
    try:
        return {**fields, "server": server_named(name)}
    except DjangoValidationError:
        return without_server(fields)


def server_rule(fields: dict) -> dict[str, list[str]]:
    """`server`, when given, names a server that exists (parse's `rules`: a 400 naming it)."""
    name = fields.get("server")
    if name is None:
        return {}
    try:
        server_named(name)
    except DjangoValidationError as e:
        return field_errors(e)
    return {}


class ApiView(APIView):
    # Whether answers can carry secrets with include_secrets (directory views; the export
    # judges for itself): only then is a read with it on the record.
    holds_secrets = False
    # No OPTIONS self-description (the OpenAPI document is the description), so none is offered.
    http_method_names = [m for m in APIView.http_method_names if m != "options"]

    def dispatch(self, request, *args, **kwargs):
        # Closed when the response is made, whatever happened (see `initial`).
        with contextlib.ExitStack() as self._acting:
            return super().dispatch(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        """After authentication, permissions and throttling: everything recorded is done by the token's owner."""
        super().initial(request, *args, **kwargs)
        if request.auth is not None:
            self._acting.enter_context(actors.acting(actors.api(request.auth)))
        # Judged before the handler runs: a bad value or a viewer asking must be refused
        # before a write, not after it was saved.
        self._include_secrets = self._asked_for_secrets()

    def include_secrets(self) -> bool:
        """`?include_secrets=true`: secrets and PINs in the answer, for administrators alone."""
        return self._include_secrets

    def _asked_for_secrets(self) -> bool:
        if "include_secrets" not in self.request.query_params:
            return False
        # Read as the schema says (true/false and their spellings); anything else is a 400,
        # not a quiet "false" that leaves a provisioning script without its secrets.
        try:
            value = serializers.BooleanField().run_validation(self.request.query_params["include_secrets"])
        except serializers.ValidationError as e:
            raise serializers.ValidationError({"include_secrets": e.detail}) from None
        if not value:
            return False
        if not can_edit(self.request.user):
            raise exceptions.PermissionDenied("Only administrators may read secrets and PINs.")
        return True

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if getattr(self, "_secrets_recorded", False):
            # An answer holding secrets is kept by no cache, shared or private.
            response["Cache-Control"] = "no-store"
        _log_call(request, response)
        return response

    def get_serializer_context(self) -> dict:
        return {
            "request": self.request,
            "view": self,
            "include_secrets": self._reveals_secrets(),
            "several_servers": SeveralServers(),
        }

    def _reveals_secrets(self) -> bool:
        """include_secrets, on the record once per call: taking secrets out of the portal is, as
        with an export (which records its own)."""
        if not (self.holds_secrets and self.include_secrets()):
            return False
        if not getattr(self, "_secrets_recorded", False):
            self._secrets_recorded = True
            request = self.request
            trail.record(
                action=Action.EXPORTED,
                kind=ObjectType.EXPORT,
                ref=request.path,
                label=f"{request.method} {request.path} with secrets",
            )
        return True


# Named when they are sent to a change: they are the object's identity.
_FIXED_FIELDS = {"extension", "id", "tech"}


def parse(view, serializer_class, *, rules=None, check=None, **kwargs) -> dict:
    """The request body, typed; a refusal is a 400 naming every problem at once.

    A field the operation does not take is refused, not ignored: a typo or an
    attempt to renumber must not answer 200 having changed nothing. Errors
    about endpoint settings are named by the setting, as the services name them.

    `rules(fields)`: the API's own rules on the fields that parsed, as {field: [messages]}.
    `check(fields)`: the operation's service check, which saves nothing. When something
    is refused here, it runs on the fields that parsed, so the answer also names what the
    service refuses, as a page does; when nothing is, the service call itself judges them.
    """
    data = view.request.data
    serializer = serializer_class(data=data, **kwargs)
    errors = {} if serializer.is_valid() else dict(serializer.errors)
    settings_errors = errors.pop("settings", None)
    bad_settings = set()
    if isinstance(settings_errors, dict):
        errors |= settings_errors
        bad_settings = set(settings_errors)
    elif settings_errors:
        errors["settings"] = settings_errors
    writable = {name for name, field in serializer.fields.items() if not field.read_only}
    for name in sorted(set(data.keys() if hasattr(data, "keys") else ()) - writable):
        errors[name] = [
            "Cannot be changed: delete and create again."
            if name in _FIXED_FIELDS
            else f"Not a field here. Fields: {', '.join(sorted(writable))}."
        ]
    if not errors:
        fields = serializer.validated_data
        errors = dict(rules(fields)) if rules else {}
        if not errors:
            return fields
    else:
        fields = _parsed_part(serializer_class, data, errors, bad_settings, **kwargs)
        if fields is not None and rules:
            errors |= {k: v for k, v in rules(fields).items() if k not in errors}
    if check is not None and fields is not None:
        errors |= {k: v for k, v in _service_errors(check, fields, serializer).items() if k not in errors}
    raise exceptions.ValidationError(errors)


def _parsed_part(serializer_class, data, errors: dict, bad_settings: set, **kwargs) -> dict | None:
    """The fields of a refused body that parsed, typed (the settings that parsed among them)."""
    if not hasattr(data, "items"):
        return None
    good = {k: v for k, v in data.items() if k not in errors}
    if isinstance(good.get("settings"), dict):
        good["settings"] = {k: v for k, v in good["settings"].items() if k not in bad_settings}
    serializer = serializer_class(data=good, **{**kwargs, "partial": True})
    return dict(serializer.validated_data) if serializer.is_valid() else None


def _service_errors(check, fields: dict, serializer) -> dict[str, list[str]]:
    """What the service's check refuses in `fields`. A required field that was refused (or
    missing) is given blank: the service then refuses it too, and its message is not kept."""
    blanks = {
        name: ""
        for name, field in serializer.fields.items()
        if field.required and not serializer.partial and name not in fields
    }
    try:
        check({**blanks, **fields})
    except DjangoValidationError as e:
        return {k: v for k, v in field_errors(e).items() if k not in blanks}
    return {}


class Pages(PageNumberPagination):
    """The pages' limits: `page_size` up to the largest the pages offer."""

    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = max(PAGE_SIZES)


class SecretsQuery(serializers.Serializer):
    include_secrets = serializers.BooleanField(
        required=False, help_text="Administrators only: include secrets and PINs in the answer."
    )
