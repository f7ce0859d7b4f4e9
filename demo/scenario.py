"""One way to build a case: drive an application through the real services, step by step.

The demo seed, the report benchmark and the tests all build their cases here, so a case
looks the same wherever it is made and a change of procedure is made once. `Scenario`
runs named steps (`create`, `dossier`, `submit`, `panel`, `judge`, `draft_report`, ...,
`accredit`, `suspend`); `PATHS` lists the steps that reach each state. Every step goes
through the service the API and the pages call, so guards, logs, decisions,
accreditations and registry events are the ones the rules produce.

A few tests want one endpoint in a given state without the procedure before it. For
them, and only them, the builders at the end write rows directly: `ready_report`,
`decision_record`, `accreditation_record` and `skip_to_state`, the one place that sets an
application's state without a transition.

This module is not a test helper: it imports neither pytest nor factory_boy, so the
seed can run where only the application's own dependencies are installed.
"""

import datetime
import hashlib
import io
from contextlib import nullcontext
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

# The services a scenario drives; a module renamed elsewhere is renamed here only.
from accreditation import versions
from accreditation.models import (
    Accreditation,
    AccreditationTransition,
    Application,
    Condition,
    Decision,
)
from accreditation.services import (
    accreditation_transition,
    application_create,
    application_transition,
    document_upload,
    self_assessment_put,
)
from reviews.models import PanelAssignment, Report
from reviews.reports.services import report_render, report_request
from reviews.services import (
    assignment_accept,
    finding_put,
    judgement_put,
    panel_member_assign,
    site_visit_plan,
)

# The path to each target state, as the steps `Scenario` knows.
PATHS = {
    "draft": ["create", "partial_dossier"],
    "submitted": ["create", "dossier", "submit"],
    "screening": ["create", "dossier", "submit", "start_screening"],
    "returned": ["create", "dossier", "submit", "start_screening", "return_for_completion"],
    "withdrawn": ["create", "dossier", "submit", "withdraw"],
    "in_review": ["create", "dossier", "submit", "start_screening", "panel", "start_review"],
}
PATHS["clarification_requested"] = [*PATHS["in_review"], "request_clarification"]
PATHS["factual_check"] = [
    *PATHS["in_review"],
    "judge",
    "site_visit",
    "draft_report",
    "submit_draft_report",
]
PATHS["decision_pending"] = [*PATHS["factual_check"], "confirm_factual_accuracy"]
PATHS["accredited"] = [*PATHS["decision_pending"], "final_report", "accredit"]
PATHS["conditionally_accredited"] = [
    *PATHS["decision_pending"],
    "final_report",
    "accredit_with_conditions",
]
PATHS["rejected"] = [*PATHS["decision_pending"], "final_report", "reject"]
PATHS["appealed"] = [*PATHS["rejected"], "appeal"]
PATHS["suspended"] = [*PATHS["accredited"], "suspend"]
PATHS["revoked"] = [*PATHS["accredited"], "revoke"]

# Steps that fire one transition of the same name: who fires it, and the field of the
# transition's data that carries what they write (None: they write nothing).
TRANSITION_STEPS = {
    "submit": ("admin", None),
    "start_screening": ("coordinator", None),
    "return_for_completion": ("coordinator", "comment"),
    "withdraw": ("admin", "comment"),
    "start_review": ("coordinator", None),
    "request_clarification": ("chair", "comment"),
    "answer_clarification": ("admin", "answer"),
    "submit_draft_report": ("chair", None),
    "confirm_factual_accuracy": ("admin", "comment"),
    "appeal": ("admin", "grounds"),
}

# Per standard, in order: mostly met, every fourth with a recommendation.
VERDICTS = ("compliant", "compliant", "compliant", "substantially_compliant")


# What people write at each step that is not about one standard, by step.
WORDS = {
    "return_for_completion": (
        "The self-evaluation does not cover the assessment regulations; please add them "
        "as evidence."
    ),
    "withdraw": "We will apply next year.",
    "request_clarification": "How are external stakeholders involved in designing the course?",
    "answer_clarification": "A stakeholder board reviews every course each year.",
    "confirm_factual_accuracy": "No factual errors.",
    "accredit": "Every standard is met; the panel's recommendations are advisory.",
    "accredit_with_conditions": "Met with one condition on assessment transparency.",
    "condition": "Publish the assessment criteria of every module.",
    "reject": (
        "Assessment is not valid: the project is not graded against the stated learning outcomes."
    ),
    "appeal": "The panel overlooked the grading rubric we attached as evidence.",
    "suspend": "Complaint under investigation: staffing changes.",
    "revoke": "The course is no longer offered as accredited.",
}


def plain_text(kind, standard=None, verdict=None):
    """What people write at each step: `kind` is `self_assessment`, `judgement`,
    `finding` or `recommendations` (about `standard`, judged `verdict`), or a key of
    `WORDS`. Recommendations are made where a standard is less than fully met."""
    if kind == "self_assessment":
        return (
            f"How we meet '{standard.title}': our policy, the people responsible, and the "
            "evidence we attach."
        )
    if kind == "judgement":
        return (
            f"The dossier's evidence on {standard.title.lower()} is consistent with what "
            "the panel saw during the site visit."
        )
    if kind == "finding":
        return f"The panel agrees that {standard.title.lower()} is addressed."
    if kind == "recommendations":
        return "" if verdict == "compliant" else "Publish the annual monitoring results."
    return WORDS[kind]


def blank_pdf(pages=1):
    """A small, real, parseable PDF of blank pages."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


_PDF_CACHE = {}


def titled_pdf(title):
    """A small real PDF whose text says what it is (WeasyPrint, cached; blank without it)."""
    if title not in _PDF_CACHE:
        try:
            from weasyprint import HTML

            html = (
                "<html><body style='font-family: sans-serif'>"
                f"<h1>{title}</h1><p>Demo document generated by seed_demo.</p>"
                "</body></html>"
            )
            _PDF_CACHE[title] = HTML(string=html, base_url=None).write_pdf()
        except Exception:  # noqa: BLE001 - fall back to a blank but valid PDF
            _PDF_CACHE[title] = blank_pdf()
    return _PDF_CACHE[title]


def fire(application, name, actor, **data):
    """Fire application transition `name` as `actor`; returns the application as saved."""
    return application_transition(application=application, name=name, actor=actor, data=data)


def fire_accreditation(accreditation, name, actor, **data):
    """Fire accreditation transition `name` as `actor`; returns the accreditation."""
    return accreditation_transition(accreditation=accreditation, name=name, actor=actor, data=data)


@dataclass
class Cast:
    """The people of one case: the provider's administrator who applies, the agency's
    coordinator and decision body member, and the panel (role -> reviewer; the roles are
    `chair`, `member` and `student`)."""

    admin: object
    coordinator: object = None
    decider: object = None
    panel: dict = field(default_factory=dict)

    @property
    def chair(self):
        return self.panel["chair"]


class Scenario:
    """Drives one application through the real services, step by step.

    `run("submit", "start_screening")` runs steps by name, `run(*PATHS["accredited"])`
    the path to a state from `create`: a step of `TRANSITION_STEPS` fires the transition
    of that name, the others are the `step_*` methods. Each step runs inside `around()`
    (a context manager; tests pass one that runs the on-commit work, as after a real
    commit).
    `text` gives what people write (see `plain_text`), `verdicts` the judgement on each
    standard in order (cycled), `pdf(title)` the bytes of each uploaded document.
    """

    def __init__(
        self,
        cast,
        *,
        application=None,
        provider=None,
        course=None,
        text=plain_text,
        verdicts=VERDICTS,
        pdf=titled_pdf,
        around=nullcontext,
    ):
        self.cast = cast
        self.application = application
        self.provider = provider if application is None else application.provider
        self.course = course if application is None else application.course
        self.text = text
        self.verdicts = verdicts
        self.pdf = pdf
        self.around = around
        self.accreditation = None
        self.seats = {}
        self.reports = {}

    def run(self, *steps):
        for step in steps:
            with self.around():
                if step in TRANSITION_STEPS:
                    self._transition_step(step)
                else:
                    getattr(self, f"step_{step}")()
        return self

    # -- helpers

    def _transition_step(self, name):
        who, field_name = TRANSITION_STEPS[name]
        data = {field_name: self.text(name, None)} if field_name else {}
        return self.fire(name, getattr(self.cast, who), **data)

    def fire(self, name, actor, **data):
        self.application = fire(self.application, name, actor, **data)
        self.application.refresh_from_db()
        return self.application

    def standards(self):
        return list(self.application.framework.standards.order_by("order"))

    def verdict(self, index):
        return self.verdicts[index % len(self.verdicts)]

    def report(self, stage, actor):
        """Ask for the `stage` report and render it now rather than wait for the worker:
        the next transition's guard needs the PDF ready (a queued render finds it ready
        and does nothing)."""
        report = report_request(application=self.application, stage=stage, actor=actor)
        report = report_render(report_id=report.pk)
        if report.status != Report.Status.READY:
            raise RuntimeError(f"the {stage} report did not render: {report.error}")
        self.reports[stage] = report
        return report

    def decide(self, name, **data):
        """The decision body decides; keeps the accreditation the decision granted."""
        self.fire(name, self.cast.decider, **data)
        self.accreditation = self.application.accreditations.order_by("-id").first()
        return self.application

    def _upload(self, kind, title):
        name = f"{title.lower().replace(' ', '-')}.pdf"
        return document_upload(
            application=self.application,
            actor=self.cast.admin,
            kind=kind,
            uploaded_file=SimpleUploadedFile(name, self.pdf(title), content_type="application/pdf"),
        )

    def _self_assess(self, standards, evidence):
        for standard in standards:
            self_assessment_put(
                application=self.application,
                actor=self.cast.admin,
                standard_code=standard.code,
                narrative=self.text("self_assessment", standard),
                evidence_ids=[evidence.pk] if evidence is not None else (),
            )

    def _assignments(self):
        return list(
            PanelAssignment.objects.filter(
                application=self.application, state__in=["accepted", "completed"]
            )
            .select_related("reviewer")
            .order_by("pk")
        )

    # -- steps

    def step_create(self):
        kind = Application.Kind.COURSE if self.course else Application.Kind.PROVIDER
        self.application = application_create(
            actor=self.cast.admin, kind=kind, provider=self.provider, course=self.course
        )

    def step_partial_dossier(self):
        evidence = self._upload("self_evaluation", "Self-evaluation report (draft)")
        self._self_assess(self.standards()[:3], evidence)

    def step_dossier(self):
        evidence = self._upload("self_evaluation", "Self-evaluation report")
        self._upload("evidence", "Quality manual")
        if self.course is not None:
            self._upload("credential_sample", "Sample credential")
        self._self_assess(self.standards(), evidence)

    def step_panel(self):
        """The coordinator seats the panel; each reviewer accepts, declaring no conflict."""
        for role, reviewer in self.cast.panel.items():
            seat = panel_member_assign(
                application=self.application,
                reviewer=reviewer,
                role=role,
                actor=self.cast.coordinator,
            )
            self.seats[role] = assignment_accept(assignment=seat, actor=reviewer, no_conflict=True)

    def step_judge(self):
        """Every accepted reviewer judges every standard, then the chair records the
        panel's finding on it (same verdict)."""
        assignments = self._assignments()
        for index, standard in enumerate(self.standards()):
            verdict = self.verdict(index)
            for assignment in assignments:
                judgement_put(
                    assignment=assignment,
                    standard_code=standard.code,
                    actor=assignment.reviewer,
                    judgement=verdict,
                    rationale=self.text("judgement", standard, verdict),
                )
            finding_put(
                application=self.application,
                standard_code=standard.code,
                actor=self.cast.chair,
                judgement=verdict,
                rationale=self.text("finding", standard, verdict),
                recommendations=self.text("recommendations", standard, verdict),
            )

    def step_site_visit(self):
        """An institutional review's panel visits the provider before it reports: the
        coordinator records an online visit of the last two days (interviews with the
        management and with learners) and the chair uploads its minutes. A course approval
        needs no visit, so its case skips the step."""
        if self.application.scope_kind != "provider":
            return
        today = timezone.localdate()
        first, last = today - datetime.timedelta(days=2), today - datetime.timedelta(days=1)
        site_visit_plan(
            application=self.application,
            actor=self.cast.coordinator,
            data={
                "mode": "online",
                "starts_on": first.isoformat(),
                "ends_on": last.isoformat(),
                "sessions": [
                    {"group": "management", "at": f"{first.isoformat()}T09:00:00+00:00"},
                    {"group": "learners", "at": f"{last.isoformat()}T10:00:00+00:00"},
                ],
            },
        )
        title = "Minutes of the site visit"
        document_upload(
            application=self.application,
            actor=self.cast.chair,
            kind="site_visit_minutes",
            uploaded_file=SimpleUploadedFile(
                "site-visit-minutes.pdf", self.pdf(title), content_type="application/pdf"
            ),
        )

    def step_draft_report(self):
        self.report(Report.Stage.DRAFT, self.cast.chair)

    def step_final_report(self):
        """The final report the system asked for when the factual-accuracy check closed,
        rendered now; requested by the chair when no such request ran (the on-commit
        work did not run, or its render failed)."""
        automatic = (
            Report.objects.filter(application=self.application, stage=Report.Stage.FINAL)
            .exclude(status=Report.Status.FAILED)
            .order_by("-version")
            .first()
        )
        if automatic is None:
            self.report(Report.Stage.FINAL, self.cast.chair)
            return
        report = report_render(report_id=automatic.pk)
        if report.status != Report.Status.READY:
            raise RuntimeError(f"the final report did not render: {report.error}")
        self.reports[Report.Stage.FINAL] = report

    def step_accredit(self):
        self.decide("accredit", rationale=self.text("accredit", None))

    def step_accredit_with_conditions(self):
        due = timezone.now().date() + datetime.timedelta(days=180)
        self.decide(
            "accredit_with_conditions",
            rationale=self.text("accredit_with_conditions", None),
            conditions=[{"text": self.text("condition", None), "due_date": due.isoformat()}],
        )

    def step_reject(self):
        self.decide("reject", rationale=self.text("reject", None))

    def step_suspend(self):
        self._accreditation_step("suspend", reason="complaint")

    def step_revoke(self):
        self._accreditation_step("revoke", reason="provider_request")

    def _accreditation_step(self, name, *, reason):
        """The decision body changes the accreditation, with a reason code and the
        public comment that explains it."""
        self.accreditation = fire_accreditation(
            self.accreditation,
            name,
            self.cast.decider,
            comment=self.text(name, None),
            reason=reason,
        )


# --------------------------------------------------------------------------- shortcuts
# Rows written directly, for tests that need one endpoint in a given state and not the
# whole procedure before it. Nothing here checks a rule or writes a log of its own.


def skip_to_state(application, state, **fields):
    """Put `application` in `state` (and set `fields`) without a transition: no right,
    guard, log or side effect. The one place a state is written outside the workflow.
    A course case skipped past `submit` is pinned to the course's version as submit
    pins it (the review, the report and the accreditation read that version)."""
    if (
        application.course_id is not None
        and state not in ("draft", "withdrawn")
        and "course_version" not in fields
        and not Application.objects.filter(pk=application.pk, course_version__isnull=False).exists()
    ):
        fields["course_version"] = versions.record(course_id=application.course_id, actor=None)
    Application.objects.filter(pk=application.pk).update(state=state, **fields)
    application.refresh_from_db()
    return application


def ready_report(application, stage, version=1, *, requested_by=None):
    """A rendered report row with a real PDF file and its checksum, as the renderer
    leaves it."""
    content = blank_pdf()
    report = Report(
        application=application,
        stage=stage,
        version=version,
        status=Report.Status.READY,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        requested_by=requested_by,
        rendered_at=timezone.now(),
    )
    report.file.save("report.pdf", ContentFile(content), save=False)
    report.save()
    return report


def decision_record(
    application,
    *,
    outcome,
    decided_by,
    rationale="",
    valid_from=None,
    valid_until=None,
    decided_at=None,
):
    """A decision row as the decision rules write it; a positive one is valid from
    today for five years unless told otherwise, a negative one has no validity."""
    decided_at = decided_at or timezone.now()
    if outcome == Decision.Outcome.NEGATIVE:
        valid_from = valid_until = None
    else:
        valid_from = valid_from or decided_at.date()
        valid_until = valid_until or decided_at.date() + datetime.timedelta(days=5 * 365)
    return Decision.objects.create(
        application=application,
        outcome=outcome,
        rationale=rationale,
        valid_from=valid_from,
        valid_until=valid_until,
        decided_by=decided_by,
        decided_at=decided_at,
    )


def accreditation_record(decision, *, conditions=(), actor=None):
    """The accreditation a positive `decision` grants, with its conditions
    (`(text, due_date)` pairs) and the log row of its creation."""
    application = decision.application
    accreditation = Accreditation.objects.create(
        provider_id=application.provider_id,
        course_id=application.course_id,
        course_version_id=application.course_version_id,
        application=application,
        decision=decision,
        outcome=decision.outcome,
        valid_from=decision.valid_from,
        valid_until=decision.valid_until,
    )
    for text, due_date in conditions:
        Condition.objects.create(accreditation=accreditation, text=text, due_date=due_date)
    AccreditationTransition.objects.create(
        accreditation=accreditation,
        transition="create",
        from_state="",
        to_state="active",
        actor=actor,
    )
    return accreditation
