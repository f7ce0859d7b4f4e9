"""Writes of the accreditation app. Every change of an application's state goes through
`application_transition`, the single path used by the API, the pages, the admin and the
scheduled jobs, so that all of them lock, check, log and notify the same way.

One module per subject: `providers`, `memberships`, `courses`, `applications` (with
self-assessments and the transition wrappers), `documents`, `accreditations` and
`complaints`; the helpers
several of them share are in `_common`. The names callers use are re-exported here, so
`from accreditation import services` and `services.course_update(...)` keep working.
"""

from ._common import DOSSIER_STATES
from .accreditations import accreditation_transition, available_accreditation_transitions
from .applications import (
    DEFAULT_FRAMEWORKS,
    application_create,
    application_transition,
    available_transitions,
    newest_framework,
    self_assessment_put,
    transition_refusal,
    transition_right,
    waiting_on,
    withheld_transitions,
)
from .complaints import complaint_lodge
from .conditions import (
    condition_actions,
    condition_assess,
    condition_respond,
    may_assess,
    may_respond,
)
from .courses import COURSE_FIELDS, course_create, course_update
from .documents import RESPONSE_STATES, document_delete, document_open, document_upload
from .memberships import (
    may_manage_memberships,
    membership_add,
    membership_change_role,
    membership_refusal,
    membership_remove,
)
from .providers import (
    IDENTITY_FIELDS,
    PROVIDER_FIELDS,
    change_request_approve,
    change_request_file,
    change_request_reject,
    has_decision,
    may_manage_provider,
    provider_change,
    provider_create,
    provider_update,
)
from .screening import screening_checklist_read, screening_checklist_save

__all__ = [
    "COURSE_FIELDS",
    "DEFAULT_FRAMEWORKS",
    "DOSSIER_STATES",
    "IDENTITY_FIELDS",
    "PROVIDER_FIELDS",
    "RESPONSE_STATES",
    "accreditation_transition",
    "application_create",
    "application_transition",
    "available_accreditation_transitions",
    "available_transitions",
    "change_request_approve",
    "change_request_file",
    "change_request_reject",
    "screening_checklist_read",
    "screening_checklist_save",
    "complaint_lodge",
    "condition_actions",
    "condition_assess",
    "condition_respond",
    "course_create",
    "course_update",
    "document_delete",
    "document_open",
    "document_upload",
    "has_decision",
    "may_manage_memberships",
    "may_assess",
    "may_manage_provider",
    "membership_add",
    "membership_change_role",
    "may_respond",
    "membership_refusal",
    "membership_remove",
    "newest_framework",
    "provider_change",
    "provider_create",
    "provider_update",
    "self_assessment_put",
    "transition_refusal",
    "transition_right",
    "waiting_on",
    "withheld_transitions",
]
