"""ETag and If-Match: the API's side of the services' version check (`directory/versions.py`).

A GET (and a PATCH's answer) carries the object's version as a strong ETag.
`If-Match` on a PATCH is optional: a PATCH changes only the fields it names, so
without it nothing the client did not send is undone; with it, an object
changed since the client read it is refused with 412 and nothing is saved.
"""

import contextlib

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import exceptions, status

from directory.versions import StaleVersion


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "stale"


def etag(version: str) -> str:
    return f'"{version}"'


def if_match(request) -> frozenset[str] | None:
    """The versions `If-Match` accepts: None when absent or `*` (the object exists: any will do).

    Strong comparison, as RFC 9110 asks for If-Match: a weak tag (`W/"…"`) matches nothing.
    """
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        return None
    tags = (tag.strip() for tag in header.split(","))
    return frozenset(tag[1:-1] for tag in tags if len(tag) >= 2 and tag[0] == tag[-1] == '"')


@contextlib.contextmanager
def stale_is_412():
    """A StaleVersion from the service becomes 412, naming the version the object has now."""
    try:
        yield
    except StaleVersion as e:
        raise PreconditionFailed(
            f"{e.what} was changed after you read it (its ETag is now {etag(e.version)}), so nothing "
            "was saved: read it again, then send your change with If-Match set to the new ETag."
        ) from None


IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="Optional. The ETag of the object as you read it: if it changed since, the PATCH "
    'is refused with 412 and nothing is saved. `*` or no header: no check. E.g. "3f2a…".',
)
ETAG = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200],
    description="The object's version; send it back as If-Match on a PATCH.",
)
STALE_RESPONSE = {
    412: OpenApiResponse(
        OpenApiTypes.OBJECT, description="{detail}: the object changed since the ETag in If-Match."
    )
}
