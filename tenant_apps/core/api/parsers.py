"""The API's JSON parser: DRF's, with limits, so that no body can turn into a 500.

* **Size**: at most ``DATA_UPLOAD_MAX_MEMORY_SIZE`` bytes (413 ``request_too_large``). Django
  applies that limit to ``request.body`` only; DRF reads the stream, so it is applied here.
* **Depth**: at most ``MAX_JSON_DEPTH`` nested arrays/objects (400 ``malformed_request``).
  Python's json module recurses once per level and raises RecursionError near 1,000; the depth
  is counted before parsing, without recursion, so a deep document is refused cheaply.
* **NUL characters** (``\\u0000``) in any string or key: PostgreSQL's text and jsonb cannot
  store them, so they would fail at the database; refused here with a 400 instead.
* ``NaN`` and ``Infinity`` are not JSON (DRF's ``strict`` mode already refuses them).
"""

from __future__ import annotations

import codecs
import json
import re

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_JSON_DEPTH = 32

# A JSON string literal (escapes included), and the brackets that nest.
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_BRACKET = re.compile(r"[\[\]{}]")


def json_depth(text: str) -> int:
    """The deepest nesting of arrays/objects in ``text`` (0 for a scalar); no recursion."""
    depth = deepest = 0
    for match in _BRACKET.finditer(_STRING.sub("", text)):
        if match.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _has_nul(document) -> bool:
    stack = [document]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class StrictJSONParser(JSONParser):
    max_depth = MAX_JSON_DEPTH

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1) if limit is not None else stream.read()
        if limit is not None and len(raw) > limit:
            raise RequestDataTooBig("Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE.")
        try:
            text = codecs.decode(raw, encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(f"JSON parse error - the body is not {encoding} text.") from exc
        depth = json_depth(text)
        if depth > self.max_depth:
            raise ParseError(f"JSON parse error - nested {depth} levels deep; at most "
                             f"{self.max_depth} levels of arrays and objects are accepted.")
        try:
            document = json.loads(text, parse_constant=_refuse_constant)
        except (ValueError, RecursionError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        if _has_nul(document):
            raise ParseError("JSON parse error - strings must not contain NUL (\\u0000) "
                             "characters.")
        return document


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")
