"""Annex I of the Council Recommendation on micro-credentials (2022/C 243/02): the
standard elements that describe a micro-credential, stated once.

The dossier check (`rules.dossier_unmet`), the course pages and form, the API, the
coordinator's screening checklist and the review report all read `ELEMENTS` and
`value_problems`. Per-learner elements (learner identification, date of issuing, grade)
belong to each issued credential: a course shows them through the sample credential in
its dossier, not through its own fields.

As the Recommendation says them: the level is required "if applicable" (a course that
says `level_not_applicable` states it by saying so, and then gives no EQF level and no
QF-EHEA cycle); the workload is in ECTS "wherever possible", else in hours
(`workload_hours`), never both; supervision and identity verification during
assessment is one of three fixed options, or not stated.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_lazy, gettext_noop

# Supervision and identity verification during assessment: Annex I's fixed options.
UNSUPERVISED_NO_ID = "unsupervised_no_identity_verification"
SUPERVISED_NO_ID = "supervised_no_identity_verification"
SUPERVISED_WITH_ID = "supervised_with_identity_verification"
SUPERVISION_CHOICES = (
    (UNSUPERVISED_NO_ID, gettext_lazy("Unsupervised, no identity verification")),
    (SUPERVISED_NO_ID, gettext_lazy("Supervised, no identity verification")),
    (SUPERVISED_WITH_ID, gettext_lazy("Supervised with identity verification, on-site or online")),
)
SUPERVISION_OPTIONS = tuple(code for code, _ in SUPERVISION_CHOICES)


def supervision_label(value):
    """The label of a supervision option; a frozen course version from before the options
    existed holds free text, shown as it was written. A plain string in the active
    language, so that it can go into JSON (the report's data)."""
    return str(dict(SUPERVISION_CHOICES).get(value, value or ""))


@dataclass(frozen=True)
class Element:
    """One Annex I element.

    - `code`: its name in the report's data (`annex_i[].code`).
    - `fields`: the course attributes that state it; it is present when any of them is
      filled (the level is stated by an EQF level, a QF-EHEA cycle, or both).
    - `mandatory`: a course dossier is incomplete without it;
      `per_learner`: it is shown by the sample credential, not by the course.
    - `not_applicable`: the course attribute that, when true, states the element as not
      applicable ("level, if applicable"), so it is present without a value.

    `label` is Annex I's English wording, kept as data (the registry's records and the
    report's data hold it); a page shows `display_label`, the label in the page's language.
    """

    code: str
    label: str
    mandatory: bool
    per_learner: bool = False
    fields: tuple = ()
    not_applicable: str = ""

    @property
    def display_label(self):
        """The label in the active language (the labels are marked with `gettext_noop`)."""
        return gettext(self.label)

    @property
    def unmet_code(self):
        """The code of the unmet item when it is missing (`missing_element:eqf_level`)."""
        return f"missing_element:{self.fields[0]}"

    def present(self, course):
        if self.not_applicable and getattr(course, self.not_applicable, False):
            return True
        return any(_filled(getattr(course, name, None)) for name in self.fields)


def _filled(value):
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | tuple):
        return bool(value)
    return value is not None


ELEMENTS = (
    Element("learner_identification", gettext_noop("Identification of the learner"), True, True),
    Element("title", gettext_noop("Title of the micro-credential"), True, fields=("title",)),
    Element("country", gettext_noop("Country/region of the issuer"), True, fields=("country",)),
    Element("awarding_body", gettext_noop("Awarding body"), True, fields=("awarding_body",)),
    Element("date_of_issuing", gettext_noop("Date of issuing"), True, True),
    Element(
        "learning_outcomes", gettext_noop("Learning outcomes"), True, fields=("learning_outcomes",)
    ),
    Element(
        "workload",
        gettext_noop("Notional workload (ECTS wherever possible, else hours)"),
        True,
        fields=("workload_ects", "workload_hours"),
    ),
    Element(
        "level",
        gettext_noop("Level (EQF and/or QF-EHEA cycle), if applicable"),
        True,
        fields=("eqf_level", "qf_ehea_cycle"),
        not_applicable="level_not_applicable",
    ),
    Element(
        "assessment_type", gettext_noop("Type of assessment"), True, fields=("assessment_type",)
    ),
    Element(
        "participation_form",
        gettext_noop("Form of participation"),
        True,
        fields=("participation_form",),
    ),
    Element(
        "quality_assurance",
        gettext_noop("Type of quality assurance used"),
        True,
        fields=("quality_assurance",),
    ),
    Element(
        "prerequisites",
        gettext_noop("Prerequisites needed to enrol"),
        False,
        fields=("prerequisites",),
    ),
    Element(
        "supervision_identity_verification",
        gettext_noop("Supervision and identity verification during assessment"),
        False,
        fields=("supervision_identity_verification",),
    ),
    Element("grade", gettext_noop("Grade achieved"), False, True, fields=("grading",)),
    Element(
        "stackability",
        gettext_noop("Integration/stackability options"),
        False,
        fields=("stackability",),
    ),
    Element(
        "further_information",
        gettext_noop("Further information"),
        False,
        fields=("further_information",),
    ),
)

# The mandatory elements a course states itself (the dossier check asks for these).
COURSE_MANDATORY = tuple(e for e in ELEMENTS if e.mandatory and not e.per_learner)


def missing(course):
    """The mandatory elements `course` does not state, in Annex I order."""
    return [e for e in COURSE_MANDATORY if not e.present(course)]


def element(code):
    """The element named `code`."""
    for candidate in ELEMENTS:
        if candidate.code == code:
            return candidate
    raise KeyError(code)


FIELD_LABELS = {
    "workload_ects": gettext_lazy("Notional workload in ECTS (wherever possible)"),
    "workload_hours": gettext_lazy("Notional workload in hours (only when ECTS do not apply)"),
    "eqf_level": gettext_lazy("EQF level"),
    "qf_ehea_cycle": gettext_lazy("QF-EHEA cycle"),
    "level_not_applicable": gettext_lazy("No EQF level or QF-EHEA cycle applies to this course"),
}


def _form_label(element):
    if element.mandatory:
        return gettext(element.label)
    return gettext("%(label)s (optional)") % {"label": gettext(element.label)}


# Form labels are made at import time, so they are translated when shown, not now.
_form_label_lazy = lazy(_form_label, str)


def label_of(field):
    """The label of the element a course field states (for forms), translated when shown."""
    if field in FIELD_LABELS:
        return FIELD_LABELS[field]
    for element in ELEMENTS:
        if field in element.fields and len(element.fields) == 1:
            return _form_label_lazy(element)
    raise KeyError(field)


# The course attributes `value_problems` reads.
VALUE_FIELDS = (
    "level_not_applicable",
    "eqf_level",
    "qf_ehea_cycle",
    "workload_ects",
    "workload_hours",
)


def value_problems(values):
    """What is wrong with a course's Annex I values taken together, as {field: message};
    empty when they agree. `values` maps course attributes to their values (a course's,
    or a form's). Presence is `missing`'s business (a draft may be incomplete), and each
    value's own validity its field's (hours > 0, a supervision option from
    `SUPERVISION_CHOICES`); this says which combinations can never be stored:

    - a level said not to apply comes with no EQF level and no QF-EHEA cycle;
    - the workload is in ECTS or, where ECTS do not apply, in hours: never both.
    """
    problems = {}
    if values.get("level_not_applicable") is True:
        for name in ("eqf_level", "qf_ehea_cycle"):
            if values.get(name) not in (None, ""):
                problems[name] = gettext(
                    "Leave this empty when no level applies (level_not_applicable is true)."
                )
    if values.get("workload_hours") not in (None, "") and values.get("workload_ects") not in (
        None,
        "",
    ):
        problems["workload_hours"] = gettext(
            "Give the workload in ECTS or, where ECTS do not apply, in hours; not both."
        )
    return problems


def workload_text(course):
    """The workload as a reader sees it: `5 ECTS`, `30 hours`, or empty (in the active
    language)."""
    ects = getattr(course, "workload_ects", None)
    if ects not in (None, ""):
        return f"{Decimal(str(ects)).normalize():f} ECTS"
    hours = getattr(course, "workload_hours", None)
    if hours not in (None, ""):
        return gettext("%(hours)s hours") % {"hours": f"{Decimal(str(hours)).normalize():f}"}
    return ""


def level_text(course, cycle_label=""):
    """The level as a reader sees it: `EQF level 6; QF-EHEA first cycle`, `Not applicable`,
    or empty."""
    if getattr(course, "level_not_applicable", False):
        return gettext("Not applicable")
    parts = []
    if getattr(course, "eqf_level", None):
        parts.append(gettext("EQF level %(level)s") % {"level": course.eqf_level})
    if getattr(course, "qf_ehea_cycle", None):
        parts.append(f"QF-EHEA {(cycle_label or course.qf_ehea_cycle).lower()}")
    return "; ".join(parts)
