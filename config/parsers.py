"""The API's JSON parser: DRF's, bounded in nesting depth.

Python's JSON decoder recurses once per nested array or object, so a body of 100,000 `[`
raises RecursionError, which DRF does not catch (a 500). Anything nested deeper than any
request of this API needs is refused with 400 and the reason, before a serializer sees it.
"""

from __future__ import annotations

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_JSON_DEPTH = 32  # the deepest request of the API (a race's object placements) needs 3
TOO_DEEP = f"JSON parse error - nested too deeply: at most {MAX_JSON_DEPTH} levels of arrays and objects."


def nesting_exceeds(data, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether arrays and objects in `data` nest deeper than `limit` (without recursing)."""
    stack = [(data, 1)] if isinstance(data, (list, dict)) else []
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, (list, dict)))
    return False


class BoundedJSONParser(JSONParser):
    """JSONParser that answers a too deeply nested body with ParseError (400), never a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(TOO_DEEP) from None
        if nesting_exceeds(data):
            raise ParseError(TOO_DEEP)
        return data
