"""Request bodies: JSON everywhere, refused cleanly however it is built; multipart for file uploads alone.

One body type per operation, so the OpenAPI document advertises exactly what is read: a
client generated from it sends JSON, and nothing it sends is dropped on the way (a form
body cannot carry a nested `settings`).
"""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, MultiPartParser


class JsonParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            # [[[[…]]]] a thousand deep: Python's parser gives up with this, not a ValueError.
            raise ParseError("JSON parse error - nested too deeply.") from None


# For the views that take a file (they set parser_classes = UPLOADS).
UPLOADS = [MultiPartParser]
