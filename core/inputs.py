"""Strict reading of the values a client sends, for every app's services.

JSON has booleans, and Python counts `True` as the integer 1: `{"course": true}` must not
name course 1. Ids are whole numbers in the 64-bit range the database holds, given as a
JSON number or (from an HTML form) a string of digits. Free texts have documented
maximum lengths (docs/security.md, the API schema), so 2 MB of text is the client's
error, not a stored row. Each refusal is a `ValidationError` naming the field (400 in the
API, a form error on a page).
"""

from django.core.exceptions import ValidationError

MAX_ID = 2**63 - 1

# Documented maximum lengths of free text, in characters (docs/security.md, the API schema).
NARRATIVE_MAX_LENGTH = 20_000  # a self-assessment against one standard
TEXT_MAX_LENGTH = 5_000  # comments, answers, rationales, grounds, conditions, complaints


def as_id(value, field, noun="id"):
    """`value` as an id (a positive whole number), or a 400 on `field`. Booleans, floats,
    negative numbers and numbers past the database's 64-bit range are refused."""
    if isinstance(value, bool):
        raise ValidationError({field: [f"A {noun} (a whole number) is required, not a boolean."]})
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int):
        raise ValidationError({field: [f"A {noun} (a whole number) is required."]})
    if not 1 <= value <= MAX_ID:
        raise ValidationError({field: [f"Not a {noun}: ids are whole numbers from 1 to {MAX_ID}."]})
    return value


def as_ids(value, field, noun="id", limit=None):
    """A JSON list of ids (see `as_id`; each error names `field[index]`), at most `limit`."""
    if not isinstance(value, list | tuple):
        raise ValidationError({field: [f"A list of {noun}s is required."]})
    if limit is not None and len(value) > limit:
        raise ValidationError({field: [f"At most {limit} {noun}s may be given."]})
    return [as_id(item, f"{field}[{index}]", noun) for index, item in enumerate(value)]


def check_text(value, field, limit=TEXT_MAX_LENGTH):
    """Refuse a text of `field` that is not a string or is longer than `limit` characters.
    None passes (a field not given); whether a text is required is the caller's rule."""
    if value is None:
        return value
    if not isinstance(value, str):
        raise ValidationError({field: ["A text is required."]})
    if len(value) > limit:
        raise ValidationError(
            {field: [f"At most {limit} characters are accepted; this text has {len(value)}."]}
        )
    return value
