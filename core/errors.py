"""Domain errors shared by every app, each with one HTTP meaning.

A wrong state is not a missing right, and neither is a failed guard: callers
(the API, the HTML views, commands) map them to 409, 403 and 400 respectively.
"""

from dataclasses import dataclass


class DomainError(Exception):
    """Base of the errors a service raises on purpose."""

    status_code = 400
    default_detail = "The request cannot be carried out."

    def __init__(self, detail=None):
        self.detail = detail or self.default_detail
        super().__init__(self.detail)


class InvalidTransition(DomainError):
    """The object is not in a state from which this transition may fire (409)."""

    status_code = 409
    default_detail = "This transition is not allowed in the current state."


class ConflictError(DomainError):
    """The request conflicts with the object's current state (409)."""

    status_code = 409
    default_detail = "The request conflicts with the current state."


class NotAllowed(DomainError):
    """The actor may see the object but lacks the right for this action (403)."""

    status_code = 403
    default_detail = "You do not have the right to do this."


class NotVisible(DomainError):
    """The object does not exist for this actor (404): never reveal what they may not see."""

    status_code = 404
    default_detail = "Not found."


@dataclass(frozen=True)
class Unmet:
    """One unmet requirement of a guard, with a stable machine-readable code."""

    code: str
    message: str

    def as_dict(self):
        return {"code": self.code, "message": self.message}


class GuardFailed(DomainError):
    """A transition's guard failed; `unmet` lists every requirement that is missing (400)."""

    status_code = 400
    default_detail = "The transition's requirements are not met."

    def __init__(self, unmet, detail=None):
        self.unmet = list(unmet)
        super().__init__(detail or self.default_detail)


class FileRejected(DomainError):
    """An upload was refused; status 415 (not a PDF) or 413 (too large)."""

    def __init__(self, detail, status_code=415, code="unsupported_media_type"):
        self.status_code = status_code
        self.code = code
        super().__init__(detail)
