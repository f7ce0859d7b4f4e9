"""Annex I of the Council Recommendation on micro-credentials (2022/C 243/02): the
standard elements that describe a micro-credential, stated once.

The dossier check (`rules.dossier_unmet`), the course pages and form, and the review
report all read `ELEMENTS`. Per-learner elements (learner identification, date of
issuing, grade) belong to each issued credential: a course shows them through the
sample credential in its dossier, not through its own fields.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Element:
    """One Annex I element.

    - `code`: its name in the report's data (`annex_i[].code`).
    - `fields`: the course attributes that state it; it is present when any of them is
      filled (the level is stated by an EQF level, a QF-EHEA cycle, or both).
    - `mandatory`: a course dossier is incomplete without it;
      `per_learner`: it is shown by the sample credential, not by the course.
    """

    code: str
    label: str
    mandatory: bool
    per_learner: bool = False
    fields: tuple = ()

    @property
    def unmet_code(self):
        """The code of the unmet item when it is missing (`missing_element:eqf_level`)."""
        return f"missing_element:{self.fields[0]}"

    def present(self, course):
        return any(_filled(getattr(course, name)) for name in self.fields)


def _filled(value):
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | tuple):
        return bool(value)
    return value is not None


ELEMENTS = (
    Element("learner_identification", "Identification of the learner", True, True),
    Element("title", "Title of the micro-credential", True, fields=("title",)),
    Element("country", "Country/region of the issuer", True, fields=("country",)),
    Element("awarding_body", "Awarding body", True, fields=("awarding_body",)),
    Element("date_of_issuing", "Date of issuing", True, True),
    Element("learning_outcomes", "Learning outcomes", True, fields=("learning_outcomes",)),
    Element("workload", "Notional workload (ECTS)", True, fields=("workload_ects",)),
    Element(
        "level", "Level (EQF and/or QF-EHEA cycle)", True, fields=("eqf_level", "qf_ehea_cycle")
    ),
    Element("assessment_type", "Type of assessment", True, fields=("assessment_type",)),
    Element("participation_form", "Form of participation", True, fields=("participation_form",)),
    Element(
        "quality_assurance", "Type of quality assurance used", True, fields=("quality_assurance",)
    ),
    Element("prerequisites", "Prerequisites needed to enrol", False, fields=("prerequisites",)),
    Element(
        "supervision_identity_verification",
        "Supervision and identity verification during assessment",
        False,
        fields=("supervision_identity_verification",),
    ),
    Element("grade", "Grade achieved", False, True, fields=("grading",)),
    Element("stackability", "Integration/stackability options", False, fields=("stackability",)),
    Element("further_information", "Further information", False, fields=("further_information",)),
)

# The mandatory elements a course states itself (the dossier check asks for these).
COURSE_MANDATORY = tuple(e for e in ELEMENTS if e.mandatory and not e.per_learner)


def missing(course):
    """The mandatory elements `course` does not state, in Annex I order."""
    return [e for e in COURSE_MANDATORY if not e.present(course)]


def label_of(field):
    """The label of the element a course field states (for forms)."""
    for element in ELEMENTS:
        if field in element.fields and len(element.fields) == 1:
            return element.label if element.mandatory else f"{element.label} (optional)"
    raise KeyError(field)
