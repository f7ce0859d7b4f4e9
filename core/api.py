"""API plumbing shared by every app: the exception handler that maps domain errors, and
the JSON parser with limits on what a hostile body may make the server do."""

import re

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.views import defaults
from rest_framework import parsers, status
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import DomainError, GuardFailed

# No request of the contract nests deeper than a few levels; hostile bodies nest thousands.
MAX_JSON_DEPTH = 32
TOO_DEEP = "JSON parse error - the body is nested too deeply."


def _nested_deeper_than(data, limit):
    """True when lists/objects in `data` nest more than `limit` levels (checked without
    recursion, so the check itself cannot be made to overflow the stack)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


NUL_MESSAGE = "Text must not contain NUL (0x00) characters."
SURROGATE_MESSAGE = (
    "Text must be valid Unicode: a lone surrogate (U+D800 to U+DFFF) is not a character."
)
# Ids are 64-bit in the database (BigAutoField) and no number of the contract comes near.
MAX_JSON_INTEGER = 2**63 - 1
INTEGER_MESSAGE = (
    f"The number is out of range: integers lie between {-MAX_JSON_INTEGER} and {MAX_JSON_INTEGER}."
)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _text_problem(text):
    """Why `text` cannot be stored, or None. JSON's `\\ud800` escape decodes to a lone
    surrogate, which no database encoding can hold (UTF-8 encoding fails, a 500 at the
    database); a NUL cannot be stored in PostgreSQL's text."""
    if "\x00" in text:
        return NUL_MESSAGE
    if _SURROGATE.search(text):
        return SURROGATE_MESSAGE
    return None


def odd_value_location(data, where=""):
    """`(path, message)` for the first value in `data` that the server could not store or
    look up, or None: a string with a NUL or a lone surrogate, or an integer outside the
    64-bit range the database holds (Python reads `10**30` from JSON as it is; the
    database driver overflows). The path names the field as the client wrote it
    (`title`, `evidence[0]`, `conditions[1].text`); an odd key is reported at its
    object's path (`non_field_errors` at the top)."""
    stack = [(data, where)]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            problem = _text_problem(value)
            if problem:
                return path or "non_field_errors", problem
        elif isinstance(value, int) and not isinstance(value, bool):
            if not -MAX_JSON_INTEGER <= value <= MAX_JSON_INTEGER:
                return path or "non_field_errors", INTEGER_MESSAGE
        elif isinstance(value, dict):
            for key, child in value.items():
                problem = _text_problem(str(key))
                if problem:
                    return path or "non_field_errors", problem
                stack.append((child, f"{path}.{key}" if path else str(key)))
        elif isinstance(value, list):
            stack.extend((child, f"{path}[{i}]") for i, child in enumerate(value))
    return None


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser that answers 400 instead of crashing on hostile bodies.

    Python's decoder recurses once per nesting level, so `[[[[...]]]]` a few thousand deep
    raises RecursionError (a 500 with the stock parser); and a body just under that limit
    would crash whatever walks it next. Both are refused here as a parse error (400).
    A NUL character or a lone surrogate in any string, and an integer outside the 64-bit
    range, are refused too (400 naming the field): each would otherwise fail at the
    database as a server error, on SQLite and PostgreSQL alike. Every JSON body of the
    API comes through here, so the rule holds for every field at once.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(TOO_DEEP) from exc
        if _nested_deeper_than(data, MAX_JSON_DEPTH):
            raise ParseError(TOO_DEEP)
        odd = odd_value_location(data)
        if odd is not None:
            where, message = odd
            raise ValidationError({where: [message]})
        return data


def exception_handler(exc, context):
    """Answer domain errors with their status and a `detail` (plus `unmet` for guards)."""
    if isinstance(exc, DomainError):
        body = {"detail": str(exc.detail)}
        if isinstance(exc, GuardFailed):
            body["unmet"] = [item.as_dict() for item in exc.unmet]
        if getattr(exc, "code", None):
            body["code"] = exc.code
        return Response(body, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "message_dict"):
            return Response(exc.message_dict, status=status.HTTP_400_BAD_REQUEST)
        return Response({"detail": exc.messages}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, PermissionDenied):
        return Response({"detail": str(exc) or "Permission denied."}, status=403)
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return Response(
            {"detail": f"The request body is larger than the limit of {limit} bytes."},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, RecursionError):
        # A view whose parser is not the one above: a nested body is still the client's error.
        return Response({"detail": TOO_DEEP}, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)


def document_unauthenticated_answers(result, generator, request, public):
    """drf-spectacular post-processing hook for answers every view gives but no view
    declares: an operation that requires authentication also answers 401 (no or bad
    credentials; token authentication comes first, so DRF says 401 with
    `WWW-Authenticate: Token`), and a page-number-paginated list answers 404 for a page
    that does not exist. Without them the schema was wrong for every anonymous call."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault(
        "NotAuthenticated",
        {
            "type": "object",
            "properties": {"detail": {"type": "string"}},
            "required": ["detail"],
        },
    )
    answer = {
        "description": "Authentication credentials were missing or invalid.",
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/NotAuthenticated"}}
        },
    }
    invalid_page = {
        "description": "The page does not exist (past the last page, or not a page number).",
        "content": answer["content"],
    }
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            security = operation.get("security")
            if security and {} not in security:
                operation["responses"].setdefault("401", answer)
            names = {p.get("name") for p in operation.get("parameters", ()) if "name" in p}
            if "page" in names:
                operation["responses"].setdefault("404", invalid_page)
    return result


def _is_api(request):
    return request.path.startswith("/api/")


def page_not_found(request, exception):
    """404 for a URL no route matches (e.g. `/api/v1/applications/-1/`): JSON under /api/,
    as every other API answer, so a client never has to parse an HTML page."""
    if _is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def bad_request(request, exception):
    if _is_api(request):
        return JsonResponse({"detail": "Bad request."}, status=400)
    return defaults.bad_request(request, exception)


def server_error(request):
    if _is_api(request):
        return JsonResponse({"detail": "Server error."}, status=500)
    return defaults.server_error(request)
