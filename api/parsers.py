"""JSON bodies, refused cleanly however they are built."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class JsonParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            # [[[[…]]]] a thousand deep: Python's parser gives up with this, not a ValueError.
            raise ParseError("JSON parse error - nested too deeply.") from None
