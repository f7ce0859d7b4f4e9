"""What a person may send with a transition, checked before any guard runs.

A transition's data is stored whole in its append-only log row, so whatever passes here is
kept forever: only the fields some transition reads are accepted (an unknown field is a
400, never stored junk), each of its type, texts within their documented lengths, ids as
whole numbers (never a boolean), and accreditation limits from the reference data (EQF
levels 1..8, ISCED-F 2013 codes that exist). Whether a field is required, and what its
value means for the case, stays with the transition's guards (`rules.py`).

The system's own transitions (actor None) carry data the code wrote, and are not checked.
"""

from django.core.exceptions import ValidationError

from core import reference
from core.inputs import TEXT_MAX_LENGTH, as_ids, check_text

TEXT_FIELDS = ("comment", "answer", "rationale", "grounds")
EQF_LEVELS = reference.EQF_LEVELS
MAX_CONDITIONS = 50
MAX_DOCUMENTS = 100
MAX_ISCED_FIELDS = 100
TRANSITION_FIELDS = (
    *TEXT_FIELDS,
    "reason",
    "valid_until",
    "conditions",
    "documents",
    "eqf_levels",
    "isced_fields",
)


def _check_date(value, field):
    """A date given as text is at most a date's length (its meaning is the guards')."""
    if isinstance(value, str) and len(value) > 32:
        raise ValidationError({field: ["A date (YYYY-MM-DD) is required."]})


def _clean_conditions(value):
    if len(value) > MAX_CONDITIONS:
        raise ValidationError({"conditions": [f"At most {MAX_CONDITIONS} conditions are given."]})
    for index, condition in enumerate(value):
        if not isinstance(condition, dict):
            continue  # the guard lists it as an invalid item
        where = f"conditions[{index}]"
        unknown = sorted(set(condition) - {"text", "due_date"})
        if unknown:
            raise ValidationError({f"{where}.{str(n)[:100]}": ["Unknown field."] for n in unknown})
        if isinstance(condition.get("text"), str):
            check_text(condition["text"], f"{where}.text", TEXT_MAX_LENGTH)
        _check_date(condition.get("due_date"), f"{where}.due_date")


def _check_eqf_levels(value):
    if not isinstance(value, list):
        raise ValidationError({"eqf_levels": ["A list of EQF levels (1 to 8) is required."]})
    for index, level in enumerate(value):
        if isinstance(level, bool) or not isinstance(level, int) or level not in EQF_LEVELS:
            message = f"{level!r} is not an EQF level (a whole number from 1 to 8)."
            raise ValidationError({f"eqf_levels[{index}]": [message[:200]]})


def _check_isced_fields(value):
    if not isinstance(value, list):
        raise ValidationError({"isced_fields": ["A list of ISCED-F 2013 codes is required."]})
    if len(value) > MAX_ISCED_FIELDS:
        raise ValidationError({"isced_fields": [f"At most {MAX_ISCED_FIELDS} codes are accepted."]})
    for index, code in enumerate(value):
        if not reference.is_isced_f(code):
            shown = repr(code)[:40]
            raise ValidationError(
                {f"isced_fields[{index}]": [f"{shown} is not an ISCED-F 2013 field code."]}
            )


def clean_transition_data(data):
    """The data to hand to the guards and to store in the log, or a 400 naming the field
    (see the module's doc). A text or a list of conditions of the wrong type is dropped,
    so the guard that requires it lists it as missing, as it always did, and nothing but
    text is stored in its place."""
    data = dict(data)
    unknown = sorted(set(data) - set(TRANSITION_FIELDS))
    if unknown:
        raise ValidationError({str(name)[:100]: ["Unknown field."] for name in unknown})
    for field in TEXT_FIELDS:
        if field in data and not isinstance(data[field], str):
            del data[field]
        check_text(data.get(field), field, TEXT_MAX_LENGTH)
    if isinstance(data.get("reason"), str):
        check_text(data["reason"], "reason", 50)
    _check_date(data.get("valid_until"), "valid_until")
    if "conditions" in data and not isinstance(data["conditions"], list):
        del data["conditions"]
    _clean_conditions(data.get("conditions") or [])
    if data.get("documents") is not None:
        as_ids(data["documents"], "documents", "document id", limit=MAX_DOCUMENTS)
    if data.get("eqf_levels") is not None:
        _check_eqf_levels(data["eqf_levels"])
    if data.get("isced_fields") is not None:
        _check_isced_fields(data["isced_fields"])
    return data
