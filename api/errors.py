"""How the API answers a refusal: {field: [messages]} with every problem at once.

A service's ValidationError names each field it refuses; the API passes the
whole dict on, with 400, or 409 when a number is already in use.
"""

import logging

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import status
from rest_framework.exceptions import NotFound, UnsupportedMediaType
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from directory import busy
from directory.rules import IN_USE

log = logging.getLogger(__name__)

NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY


def field_errors(error: DjangoValidationError) -> dict[str, list[str]]:
    if not hasattr(error, "error_dict"):
        return {NON_FIELD: list(error.messages)}
    return {
        (NON_FIELD if name == NON_FIELD_ERRORS else name): [m for e in errors for m in e.messages]
        for name, errors in error.error_dict.items()
    }


def _in_use(error: DjangoValidationError) -> bool:
    return (
        any(e.code == IN_USE for e in error.error_list)
        if not hasattr(error, "error_dict")
        else any(e.code == IN_USE for errors in error.error_dict.values() for e in errors)
    )


def exception_handler(exc, context):
    if isinstance(exc, Http404):
        # Not Django's "No PbxUser matches the given query.": a client knows no model names.
        exc = NotFound("Not found: nothing has that number or id.")
    if isinstance(exc, UnsupportedMediaType) and context.get("view") is not None:
        # Say what to send instead: a client that sent a form where JSON is read (or the
        # reverse) learns the fix from the answer.
        accepted = " or ".join(p.media_type for p in context["view"].get_parsers())
        exc = UnsupportedMediaType(None, detail=f"{exc.detail} This operation takes {accepted}.")
    if isinstance(exc, DjangoValidationError):
        code = status.HTTP_409_CONFLICT if _in_use(exc) else status.HTTP_400_BAD_REQUEST
        return Response(field_errors(exc), status=code)
    if busy.is_locked(exc):
        # SQLite's write lock stayed taken (an import): the API's own answer, not the page's.
        request = context.get("request")
        where = f"{request.method} {request.path}" if request is not None else "API"
        log.warning("%s: the database stayed busy (an import?): %s", where, exc)
        return Response(
            {"detail": busy.BUSY},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": busy.RETRY_AFTER},
        )
    return drf_exception_handler(exc, context)


# What every operation may answer besides its success, for the schema.
ERRORS = {
    400: OpenApiResponse(OpenApiTypes.OBJECT, description="{field: [messages]}, every problem at once."),
    401: OpenApiResponse(OpenApiTypes.OBJECT, description="No token, or not a valid one."),
    403: OpenApiResponse(OpenApiTypes.OBJECT, description="The token's owner has no right to this."),
    429: OpenApiResponse(OpenApiTypes.OBJECT, description="Too many requests for this token."),
}
NOT_FOUND = {404: OpenApiResponse(OpenApiTypes.OBJECT, description="No such object.")}
# A list's `page` past its last page.
NO_SUCH_PAGE = {404: OpenApiResponse(OpenApiTypes.OBJECT, description="No such page.")}
# An operation with a body, sent one of another type (a form where JSON is read).
UNSUPPORTED = {
    415: OpenApiResponse(OpenApiTypes.OBJECT, description="The body is not of the type the operation takes.")
}
IN_USE_RESPONSE = {409: OpenApiResponse(OpenApiTypes.OBJECT, description="The number is already in use.")}
