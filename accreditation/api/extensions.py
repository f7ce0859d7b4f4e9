"""Fields other apps add to the application detail without accreditation importing them.

`reviews` registers `panel` and `reports` here (the dependency rule: reviews reads
accreditation, never the reverse). A field not registered yet answers `[]`.
"""

from dataclasses import dataclass

DEFAULT_FIELDS = ("panel", "reports")


@dataclass(frozen=True)
class ApplicationField:
    name: str
    fn: object
    prefetch: tuple


_FIELDS = {}


def register_application_field(name, fn, prefetch=()):
    """Add `name` to the application detail: `fn(application, request) -> JSON`.
    `prefetch` lists lookups (strings or `Prefetch` objects) that `fn` reads, so that the
    detail loads them with the application. Registering a name again replaces it."""
    _FIELDS[name] = ApplicationField(name=name, fn=fn, prefetch=tuple(prefetch))


def registered_fields():
    return dict(_FIELDS)


def prefetch_lookups():
    lookups = []
    for field in _FIELDS.values():
        lookups.extend(field.prefetch)
    return lookups


def extra_fields(application, request):
    """The registered fields' values for one application (`[]` for a default not
    registered yet)."""
    values = {name: [] for name in DEFAULT_FIELDS}
    for name, field in _FIELDS.items():
        values[name] = field.fn(application, request)
    return values
