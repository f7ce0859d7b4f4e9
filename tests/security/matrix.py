"""The permission matrix: every API endpoint and page × every role × method → status code.

This table is the single source of truth. `tests/security/test_matrix.py` generates one
test per (row, role) from it and asserts the exact status code (and, for every refusal,
that nothing changed); `docs/permissions.md` is generated from it with
`python -m tests.security.matrix > docs/permissions.md`.

The contract it encodes (DESIGN §4):
- anonymous on an authenticated endpoint → 401 (token authentication comes first, so DRF
  answers 401 with `WWW-Authenticate: Token`);
- an object the caller may not see → 404, never 403 (no existence oracle);
- a caller who sees the object but lacks the right → 403;
- right but wrong state → 409; right, right state, unmet guard or bad field → 400.

Roles (columns):
  anonymous       no credentials
  provider_own    admin of provider A, whose case is under test
  provider_other  admin of provider B (a competitor)
  reviewer_on     reviewer with an accepted ordinary seat on A's panel
  reviewer_off    reviewer on nobody's panel for A
  panel_chair     reviewer with the accepted chair seat on A's panel
  coordinator     agency coordinator
  decision_body   decision body member (took the decision in decided setups)
  appeals         appeals committee member who never decided

Placeholders in paths are filled from the test world: {app} provider A's application,
{other_app} provider B's, {doc} a document of {app}, {provider}/{other_provider},
{course} (the course of {app}), {course2} (A's second course, in no application),
{other_course}, {assignment} reviewer_on's seat, {chair_assignment}, {invited} a seat
offered to reviewer_off, {report} the report the setup rendered, {accreditation},
{std} the first standard of the application's framework, {condition} the (first)
condition of {accreditation}, {reviewer_on_user} the user id of reviewer_on, {visit} the
site visit the setup planned.
"""

from dataclasses import dataclass, field

ROLES = (
    "anonymous",
    "provider_own",
    "provider_other",
    "reviewer_on",
    "reviewer_off",
    "panel_chair",
    "coordinator",
    "decision_body",
    "appeals",
)
SHORT = {
    "anon": "anonymous",
    "own": "provider_own",
    "other": "provider_other",
    "on": "reviewer_on",
    "off": "reviewer_off",
    "chair": "panel_chair",
    "coord": "coordinator",
    "dec": "decision_body",
    "appeals": "appeals",
}
# Who sees provider A's case (application, its provider and course, history, reports).
CASE_READERS = ("own", "on", "chair", "coord", "dec", "appeals")
STAFF = ("coord", "dec", "appeals")


def codes(default, **by_role):
    """A full role → status map: `default` for every role not named."""
    table = dict.fromkeys(ROLES, default)
    for short, code in by_role.items():
        table[SHORT[short]] = code
    return table


def case_write(ok, allowed, readers=CASE_READERS, anon=401):
    """A write on provider A's case: `allowed` get `ok`, other readers 403, the rest 404."""
    table = codes(404, anon=anon)
    for short in readers:
        table[SHORT[short]] = 403
    for short in allowed:
        table[SHORT[short]] = ok
    return table


def case_read(ok=200, readers=CASE_READERS, anon=401):
    table = codes(404, anon=anon)
    for short in readers:
        table[SHORT[short]] = ok
    return table


@dataclass(frozen=True)
class Row:
    key: str
    method: str
    path: str
    expect: dict
    setup: str = "draft"
    body: dict | None = None
    multipart: bool = False
    note: str = ""
    page: bool = False
    extra: dict = field(default_factory=dict)


def transition(name, setup, allowed, ok=200, body=None, note="", readers=CASE_READERS, key=None):
    return Row(
        key=key or f"transition-{name}",
        method="POST",
        path=f"/api/v1/applications/{{app}}/transitions/{name}/",
        expect=case_write(ok, allowed, readers),
        setup=setup,
        body=body or {},
        note=note,
    )


SITE_VISIT_BODY = {
    "mode": "onsite",
    "starts_on": "2027-03-01",
    "ends_on": "2027-03-02",
    "sessions": [
        {"group": "management", "at": "2027-03-01T09:00:00Z"},
        {"group": "learners", "at": "2027-03-02T14:00:00Z"},
    ],
}

ROWS = [
    # ------------------------------------------------------------------ identity
    Row(
        "me",
        "GET",
        "/api/v1/me/",
        codes(200, anon=401),
        note="every authenticated caller sees only themselves",
    ),
    Row(
        "token-wrong-password",
        "POST",
        "/api/v1/auth/token/",
        codes(400),
        body={"username": "provider-a", "password": "wrong password"},
        note="public; wrong credentials are 400 for every caller",
    ),
    Row(
        "token-revoke",
        "DELETE",
        "/api/v1/auth/token/",
        codes(204, anon=401),
        note="revokes only the token presented; the caller's other tokens stay",
    ),
    # ------------------------------------------------------------------ providers
    Row(
        "provider-get",
        "GET",
        "/api/v1/providers/{provider}/",
        case_read(),
        note="panel members see the provider they review",
    ),
    Row(
        "provider-get-other",
        "GET",
        "/api/v1/providers/{other_provider}/",
        codes(404, anon=401, other=200, coord=200, dec=200, appeals=200),
    ),
    Row(
        "provider-patch",
        "PATCH",
        "/api/v1/providers/{provider}/",
        case_write(200, ("own", "coord")),
        body={"website": "https://a.example.org/new"},
        note="the provider's admins and coordinators edit the profile",
    ),
    Row(
        "provider-change-requests-get",
        "GET",
        "/api/v1/providers/{provider}/change-requests/",
        case_read(readers=("own", "coord")),
        setup="accredited",
        note="identity change requests: the provider's people and coordinators only",
    ),
    Row(
        "provider-change-requests-post",
        "POST",
        "/api/v1/providers/{provider}/change-requests/",
        case_write(201, ("own", "coord"), readers=("own", "coord")),
        setup="accredited",
        body={"legal_name": "Provider A renamed"},
        note="after a decision a change of name, country or identifiers is a request",
    ),
    # ------------------------------------------------------------------ courses
    Row(
        "course-get",
        "GET",
        "/api/v1/courses/{course}/",
        case_read(),
    ),
    Row(
        "course-get-unreviewed",
        "GET",
        "/api/v1/courses/{course2}/",
        case_read(readers=("own", *STAFF)),
        note="a panel sees only the course under review, not the provider's others",
    ),
    Row(
        "course-patch",
        "PATCH",
        "/api/v1/courses/{course2}/",
        case_write(200, ("own",), readers=("own", *STAFF)),
        body={"title": "Renamed course"},
        note="the course description is the provider's; staff read it",
    ),
    Row(
        "course-create",
        "POST",
        "/api/v1/courses/",
        codes(403, anon=401, own=201, other=400, off=400),
        body={
            "provider": "{provider}",
            "title": "Data Stewardship",
            "learning_outcomes": ["Write a data management plan"],
            "workload_ects": "3.0",
            "eqf_level": 6,
            "isced_f": "0613",
            "assessment_type": "Project",
            "participation_form": "online",
            "quality_assurance": "Internal QA",
            "languages": ["en"],
        },
        note="only people acting for the provider describe its courses; a provider the "
        "caller may not see is 400 naming `provider`",
    ),
    # ------------------------------------------------------------------ applications
    Row(
        "application-list",
        "GET",
        "/api/v1/applications/",
        codes(200, anon=401),
        note="every caller gets a list; test_probe checks what it contains",
    ),
    Row(
        "application-create",
        "POST",
        "/api/v1/applications/",
        codes(403, anon=401, own=201, other=400, off=400),
        body={"kind": "course", "provider": "{provider}", "course": "{course2}"},
        note="only for a provider the caller acts for (others: 400 naming `provider`)",
    ),
    Row("application-get", "GET", "/api/v1/applications/{app}/", case_read()),
    Row(
        "application-get-other",
        "GET",
        "/api/v1/applications/{other_app}/",
        codes(404, anon=401, other=200, coord=200, dec=200, appeals=200),
    ),
    Row("application-history", "GET", "/api/v1/applications/{app}/history/", case_read()),
    Row(
        "document-upload",
        "POST",
        "/api/v1/applications/{app}/documents/",
        case_write(201, ("own",)),
        body={"kind": "evidence", "file": "<pdf>"},
        multipart=True,
    ),
    Row(
        "document-upload-submitted",
        "POST",
        "/api/v1/applications/{app}/documents/",
        case_write(409, ("own",)),
        setup="submitted",
        body={"kind": "evidence", "file": "<pdf>"},
        multipart=True,
        note="a submitted dossier is frozen until returned",
    ),
    Row(
        "self-assessment-put",
        "PUT",
        "/api/v1/applications/{app}/self-assessments/{std}/",
        case_write(201, ("own",)),
        body={"narrative": "We publish our QA policy.", "evidence": ["{doc}"]},
    ),
    Row(
        "self-assessment-unknown-standard",
        "PUT",
        "/api/v1/applications/{app}/self-assessments/9.99/",
        case_write(404, ("own",)),
        body={"narrative": "x", "evidence": []},
        note="a standard outside the frozen framework does not exist",
    ),
    Row(
        "screening-checklist-get",
        "GET",
        "/api/v1/applications/{app}/screening/",
        case_write(200, ("coord",)),
        setup="screening",
        note="the coordinator's screening checklist; the case's other readers are refused",
    ),
    Row(
        "screening-checklist-put",
        "PUT",
        "/api/v1/applications/{app}/screening/",
        case_write(200, ("coord",)),
        setup="screening",
        body={"items": {"element:level": {"status": "missing", "note": "No level."}}},
    ),
    Row(
        "screening-checklist-put-draft",
        "PUT",
        "/api/v1/applications/{app}/screening/",
        case_write(409, ("coord",)),
        body={"items": {"element:level": {"status": "missing", "note": ""}}},
        note="kept only while the dossier is screened",
    ),
    # ------------------------------------------------------------------ transitions
    transition("submit", "complete_draft", ("own",)),
    transition("withdraw", "draft", ("own",)),
    transition("start_screening", "submitted", ("coord",)),
    transition(
        "start_screening",
        "draft",
        ("coord",),
        ok=409,
        note="right but wrong state",
        key="transition-start_screening-wrong-state",
    ),
    transition(
        "return_for_completion",
        "screening",
        ("coord",),
        body={"comment": "Add the credential sample."},
    ),
    transition("start_review", "screening", ("coord",)),
    transition(
        "request_clarification",
        "in_review",
        ("coord", "chair"),
        body={"comment": "Which exam rules apply?"},
    ),
    transition(
        "answer_clarification",
        "clarification_requested",
        ("own",),
        body={"answer": "The university's exam rules."},
    ),
    transition(
        "submit_draft_report",
        "in_review",
        ("chair",),
        ok=400,
        note="the chair has the right; the guard lists the missing judgements",
    ),
    transition("confirm_factual_accuracy", "factual_check", ("own",)),
    transition("accredit", "decision_pending", ("dec",)),
    transition(
        "reject",
        "decision_pending",
        ("dec",),
        body={"rationale": "Standards not met."},
    ),
    transition(
        "appeal",
        "rejected",
        ("own",),
        body={"grounds": "The panel ignored our evidence."},
    ),
    transition(
        "uphold_appeal",
        "appealed",
        ("appeals",),
        note="the decision body member who decided may not decide the appeal",
    ),
    transition("dismiss_appeal", "appealed", ("appeals",)),
    Row(
        "transition-unknown",
        "POST",
        "/api/v1/applications/{app}/transitions/frobnicate/",
        case_read(404),
        note="no such transition: 404 for everyone who sees the case",
    ),
    # ------------------------------------------------------------------ panel
    Row(
        "panel-assign",
        "POST",
        "/api/v1/applications/{app}/panel/",
        case_write(201, ("coord",)),
        setup="screening",
        body={"reviewer": "reviewer-off", "role": "member"},
    ),
    Row(
        "assignment-list",
        "GET",
        "/api/v1/assignments/",
        codes(200, anon=401),
        note="each reviewer's own seats; empty for everyone else",
    ),
    Row(
        "assignment-accept",
        "POST",
        "/api/v1/assignments/{invited}/accept/",
        codes(404, anon=401, off=200),
        setup="invited",
        body={"no_conflict": True},
        note="only the invited reviewer sees their invitation",
    ),
    Row(
        "assignment-decline",
        "POST",
        "/api/v1/assignments/{invited}/decline/",
        codes(404, anon=401, off=200),
        setup="invited",
        body={"reason": "Travelling."},
    ),
    Row(
        "judgement-put",
        "PUT",
        "/api/v1/assignments/{assignment}/judgements/{std}/",
        codes(404, anon=401, on=201),
        setup="in_review",
        body={"judgement": "compliant", "rationale": "Clear policy."},
        note="a seat is its holder's own; nobody else may judge in their name",
    ),
    Row(
        "finding-put",
        "PUT",
        "/api/v1/applications/{app}/findings/{std}/",
        case_write(201, ("chair",)),
        setup="in_review",
        body={"judgement": "compliant", "rationale": "Consolidated.", "recommendations": ""},
    ),
    # ------------------------------------------------------------------ site visits
    Row(
        "site-visits-get",
        "GET",
        "/api/v1/applications/{app}/site-visits/",
        case_read(),
        setup="site_visit",
        note="everyone on the case and the provider see the visit",
    ),
    Row(
        "site-visits-post",
        "POST",
        "/api/v1/applications/{app}/site-visits/",
        case_write(201, ("chair", "coord")),
        setup="in_review",
        body=SITE_VISIT_BODY,
        note="the panel chair or a coordinator plans the visit (ESG 2.3)",
    ),
    Row(
        "site-visits-post-draft",
        "POST",
        "/api/v1/applications/{app}/site-visits/",
        case_write(409, ("chair", "coord")),
        body=SITE_VISIT_BODY,
        note="a visit is planned from screening until the draft report",
    ),
    Row(
        "site-visit-patch",
        "PATCH",
        "/api/v1/applications/{app}/site-visits/{visit}/",
        case_write(200, ("chair", "coord")),
        setup="site_visit",
        body={"mode": "online"},
        note="a visit that has not begun can be changed",
    ),
    Row(
        "site-visit-cancel",
        "DELETE",
        "/api/v1/applications/{app}/site-visits/{visit}/",
        case_write(200, ("chair", "coord")),
        setup="site_visit",
        note="a visit that has not begun can be cancelled; it stays in the record",
    ),
    Row(
        "site-visit-minutes-upload",
        "POST",
        "/api/v1/applications/{app}/documents/",
        case_write(201, ("chair", "coord")),
        setup="in_review",
        body={"kind": "site_visit_minutes", "file": "<pdf>"},
        multipart=True,
        note="the minutes are the panel's document, added by the chair or a coordinator",
    ),
    # ------------------------------------------------------------------ reports
    Row(
        "report-request",
        "POST",
        "/api/v1/applications/{app}/reports/",
        case_write(202, ("chair", "coord")),
        setup="findings_recorded",
        body={"stage": "draft"},
    ),
    Row(
        "report-language-set",
        "PUT",
        "/api/v1/applications/{app}/report-language/",
        case_write(200, ("coord",)),
        body={"report_language": "de"},
        note="the coordinator chooses the language the case's reports are written in",
    ),
    Row(
        "report-language-get",
        "GET",
        "/api/v1/applications/{app}/report-language/",
        case_read(),
    ),
    Row(
        "report-get",
        "GET",
        "/api/v1/reports/{report}/",
        case_read(anon=404),
        setup="draft_report",
        note="reports answer anonymous callers too (published ones are public), so an "
        "unpublished one is 404 for them",
    ),
    Row(
        "report-pdf-draft",
        "GET",
        "/api/v1/reports/{report}/pdf/",
        case_read(anon=404),
        setup="draft_report",
        note="an unpublished report is the case's readers' only",
    ),
    Row(
        "report-pdf-published",
        "GET",
        "/api/v1/reports/{report}/pdf/",
        codes(200),
        setup="accredited",
        note="a ready published report is public (ESG 2.6)",
    ),
    # ------------------------------------------------------------------ accreditations
    Row(
        "accreditation-suspend",
        "POST",
        "/api/v1/accreditations/{accreditation}/transitions/suspend/",
        case_write(200, ("dec",), readers=("own", *STAFF)),
        setup="accredited",
        body={"comment": "Complaint under investigation.", "reason": "complaint"},
    ),
    Row(
        "accreditation-reinstate",
        "POST",
        "/api/v1/accreditations/{accreditation}/transitions/reinstate/",
        case_write(200, ("dec",), readers=("own", *STAFF)),
        setup="suspended",
        body={"comment": "Resolved."},
    ),
    Row(
        "accreditation-revoke",
        "POST",
        "/api/v1/accreditations/{accreditation}/transitions/revoke/",
        case_write(200, ("dec",), readers=("own", *STAFF)),
        setup="accredited",
        body={"comment": "Fraud.", "reason": "fraud"},
    ),
    Row(
        "accreditation-confirm-conditions",
        "POST",
        "/api/v1/accreditations/{accreditation}/transitions/confirm_conditions_met/",
        case_write(200, ("dec",), readers=("own", *STAFF)),
        setup="conditionally_accredited",
    ),
    # ------------------------------------------------------------------ condition follow-up
    Row(
        "condition-get",
        "GET",
        "/api/v1/conditions/{condition}/",
        case_read(readers=("own", *STAFF)),
        setup="conditionally_accredited",
        note="a condition, its answers and assessments: whoever sees the accreditation",
    ),
    Row(
        "condition-respond",
        "POST",
        "/api/v1/conditions/{condition}/responses/",
        case_write(201, ("own",), readers=("own", *STAFF)),
        setup="conditionally_accredited",
        body={"text": "The assessment rules are published on our website."},
        note="the provider answers each condition (text, and PDFs as multipart `files`)",
    ),
    Row(
        "condition-assess",
        "POST",
        "/api/v1/conditions/{condition}/assess/",
        case_write(200, ("dec",), readers=("own", *STAFF)),
        setup="conditionally_accredited",
        body={"met": True, "comment": "Published."},
        note="the right of `confirm_conditions_met`; the last condition met fires it",
    ),
    Row(
        "condition-assess-settled",
        "POST",
        "/api/v1/conditions/{condition}/assess/",
        case_write(409, ("dec",), readers=("own", *STAFF)),
        setup="conditions_met",
        body={"met": True},
        note="a condition already met is settled",
    ),
    # ------------------------------------------------------------------ more reads and writes
    Row("provider-list", "GET", "/api/v1/providers/", codes(200, anon=401)),
    Row(
        "provider-create",
        "POST",
        "/api/v1/providers/",
        codes(201, anon=401),
        body={"legal_name": "New Academy", "country": "BE", "type": "company"},
        note="anyone signed in may register an organisation (and becomes its admin)",
    ),
    Row("course-list", "GET", "/api/v1/courses/", codes(200, anon=401)),
    Row(
        "document-download",
        "GET",
        "/api/v1/documents/{doc}/download/",
        case_read(),
        note="dossier files are the case's readers' only",
    ),
    Row(
        "document-delete",
        "DELETE",
        "/api/v1/applications/{app}/documents/{doc}/",
        case_write(204, ("own",)),
        note="before submission only, by the provider's people",
    ),
    Row(
        "document-delete-submitted",
        "DELETE",
        "/api/v1/applications/{app}/documents/{doc}/",
        case_write(409, ("own",)),
        setup="submitted",
        note="a submitted dossier keeps its documents",
    ),
    Row("accreditation-list", "GET", "/api/v1/accreditations/", codes(200, anon=401)),
    Row(
        "accreditation-get",
        "GET",
        "/api/v1/accreditations/{accreditation}/",
        case_read(readers=("own", *STAFF)),
        setup="accredited",
        note="the panel's visibility ends with the case; the registry is the public view",
    ),
    Row(
        "accreditation-transition-unknown",
        "POST",
        "/api/v1/accreditations/{accreditation}/transitions/frobnicate/",
        case_read(404, readers=("own", *STAFF)),
        setup="accredited",
    ),
    Row(
        "complaint-lodge",
        "POST",
        "/api/v1/complaints/",
        case_read(201),
        body={"application": "{app}", "text": "The site visit was cancelled twice."},
        note="anyone who sees a case may complain about its procedure (ESG 2.7)",
    ),
    Row("panel-get", "GET", "/api/v1/applications/{app}/panel/", case_read()),
    Row(
        "panel-candidates",
        "GET",
        "/api/v1/applications/{app}/panel/candidates/",
        case_write(200, ("coord",)),
        setup="screening",
        note="candidates ranked by fit, with conflicts of interest, for the coordinator",
    ),
    Row(
        "reviewer-profile-own",
        "GET",
        "/api/v1/reviewers/me/profile/",
        codes(403, anon=401, on=200, off=200, chair=200),
        note="only reviewers keep a profile",
    ),
    Row(
        "reviewer-profile-own-patch",
        "PATCH",
        "/api/v1/reviewers/me/profile/",
        codes(403, anon=401, on=200, off=200, chair=200),
        body={"expertise": ["0613"], "languages": ["en"]},
        note="each reviewer writes only their own profile",
    ),
    Row(
        "reviewer-profile-read",
        "GET",
        "/api/v1/reviewers/{reviewer_on_user}/profile/",
        codes(404, anon=401, on=200, coord=200),
        note="the coordinator reads reviewers' profiles to compose panels; the reviewer "
        "reads their own",
    ),
    Row(
        "panel-summary",
        "GET",
        "/api/v1/applications/{app}/panel/summary/",
        case_write(200, ("chair", "coord")),
        setup="in_review",
        note="members' individual judgements are for the chair and the coordinator",
    ),
    Row(
        "finding-list",
        "GET",
        "/api/v1/applications/{app}/findings/",
        case_write(200, ("on", "chair", *STAFF)),
        setup="in_review",
        note="the provider reads the findings with the draft report, not before",
    ),
    Row(
        "assignment-get",
        "GET",
        "/api/v1/assignments/{assignment}/",
        codes(404, anon=401, on=200),
        note="a seat is its holder's",
    ),
    Row(
        "judgement-list",
        "GET",
        "/api/v1/assignments/{assignment}/judgements/",
        codes(404, anon=401, on=200),
        setup="in_review",
    ),
    Row(
        "assignment-replace",
        "POST",
        "/api/v1/assignments/{assignment}/replace/",
        case_write(200, ("coord",)),
        setup="screening",
        body={"reason": "Unreachable."},
    ),
    Row(
        "report-retry",
        "POST",
        "/api/v1/reports/{report}/retry/",
        case_write(202, ("coord",)),
        setup="failed_report",
    ),
    Row(
        "report-get-published",
        "GET",
        "/api/v1/reports/{report}/",
        codes(200),
        setup="accredited",
    ),
    # ------------------------------------------------------------------ registry (public)
    Row("registry-providers", "GET", "/api/v1/registry/providers/", codes(200)),
    Row(
        "registry-provider",
        "GET",
        "/api/v1/registry/providers/{provider}/",
        codes(200),
        setup="accredited",
    ),
    Row(
        "registry-verify",
        "GET",
        "/api/v1/registry/verify/?identifier=schac:a.example.org",
        codes(200),
    ),
    Row(
        "registry-accreditation",
        "GET",
        "/api/v1/registry/accreditations/{accreditation}/",
        codes(200),
        setup="accredited",
    ),
    Row("registry-changes", "GET", "/api/v1/registry/changes/?after=0", codes(200)),
    Row("registry-export", "GET", "/api/v1/registry/export/?format=jsonl", codes(200)),
    Row("jwks", "GET", "/.well-known/jwks.json", codes(200)),
    Row("schema", "GET", "/api/schema/", codes(200)),
    # ------------------------------------------------------------------ pages
    Row("page-registry", "GET", "/registry/", codes(200), page=True),
    Row("page-home", "GET", "/", codes(200), page=True, note="a visitor: the front door"),
    Row(
        "page-verify",
        "GET",
        "/registry/verify/?identifier=schac:a.example.org",
        codes(200),
        page=True,
    ),
    Row(
        "page-verify-signed",
        "GET",
        "/registry/verify/signed/?identifier=schac:a.example.org",
        codes(200),
        page=True,
    ),
    Row(
        "page-document-delete",
        "POST",
        "/applications/{app}/documents/{doc}/delete/",
        case_write(302, ("own",), anon=302),
        page=True,
    ),
    Row(
        "page-report-language",
        "POST",
        "/applications/{app}/report-language/",
        case_write(302, ("coord",), anon=302),
        body={"report_language": "de"},
        page=True,
    ),
    Row(
        "page-application-list",
        "GET",
        "/applications/",
        codes(200, anon=302),
        page=True,
    ),
    Row(
        "page-application",
        "GET",
        "/applications/{app}/",
        case_read(anon=302),
        page=True,
    ),
    Row(
        "page-document",
        "GET",
        "/documents/{doc}/",
        case_read(anon=302),
        page=True,
    ),
    Row("page-provider", "GET", "/providers/{provider}/", case_read(anon=302), page=True),
    Row(
        "page-provider-edit",
        "GET",
        "/providers/{provider}/edit/",
        case_write(200, ("own", "coord"), anon=302),
        page=True,
        note="same rule as PATCH /api/v1/providers/{id}/ (coordinators correct profiles)",
    ),
    Row("page-course", "GET", "/courses/{course}/", case_read(anon=302), page=True),
    Row(
        "page-course-unreviewed",
        "GET",
        "/courses/{course2}/",
        case_read(readers=("own", *STAFF), anon=302),
        page=True,
    ),
    Row(
        "page-course-edit",
        "GET",
        "/courses/{course2}/edit/",
        case_write(200, ("own",), readers=("own", *STAFF), anon=302),
        page=True,
    ),
    Row(
        "page-withdraw",
        "POST",
        "/applications/{app}/transitions/withdraw/",
        case_write(302, ("own",), anon=302),
        page=True,
        note="a form post; success redirects to the application",
    ),
    Row(
        "page-panel",
        "GET",
        "/applications/{app}/panel/",
        case_read(anon=302),
        setup="screening",
        page=True,
        note="the panel's composition is shown to the case's readers; only the "
        "coordinator gets the assignment form (the service refuses others' posts)",
    ),
    Row(
        "page-reviewer-profile",
        "GET",
        "/reviewers/me/profile/",
        codes(403, anon=302, on=200, off=200, chair=200),
        page=True,
        note="the reviewer's own profile page",
    ),
    Row(
        "page-site-visits",
        "GET",
        "/applications/{app}/site-visits/",
        case_read(anon=302),
        setup="site_visit",
        page=True,
        note="the chair and the coordinator also get the forms to plan and to upload minutes",
    ),
    Row(
        "page-site-visit-plan",
        "POST",
        "/applications/{app}/site-visits/",
        case_write(302, ("chair", "coord"), anon=302),
        setup="in_review",
        body={
            "mode": "online",
            "starts_on": "2027-03-01",
            "ends_on": "2027-03-02",
            "group_0": "learners",
            "at_0": "2027-03-01T10:00",
        },
        page=True,
    ),
    Row(
        "page-site-visit-minutes",
        "POST",
        "/applications/{app}/site-visits/minutes/",
        case_write(302, ("chair", "coord"), anon=302),
        setup="in_review",
        body={"file": "<pdf>"},
        page=True,
    ),
    Row(
        "page-site-visit-cancel",
        "POST",
        "/applications/{app}/site-visits/{visit}/cancel/",
        case_write(302, ("chair", "coord"), anon=302),
        setup="site_visit",
        page=True,
    ),
    Row(
        "page-site-visit-calendar",
        "GET",
        "/applications/{app}/site-visits/{visit}/calendar.ics",
        case_read(anon=302),
        setup="site_visit",
        page=True,
        note="the visit as an iCalendar file for the panel and the provider",
    ),
    Row(
        "page-screening",
        "GET",
        "/applications/{app}/screening/",
        case_write(200, ("coord",), anon=302),
        setup="screening",
        page=True,
        note="the coordinator's screening checklist; the case's other readers are refused",
    ),
    Row(
        "page-screening-save",
        "POST",
        "/applications/{app}/screening/",
        case_write(302, ("coord",), anon=302),
        setup="screening",
        page=True,
        note="a form post keeping the checklist; success redirects to the checklist",
    ),
    Row(
        "page-assignment",
        "GET",
        "/assignments/{assignment}/",
        codes(404, anon=302, on=200),
        page=True,
    ),
    Row(
        "page-deadlines",
        "GET",
        "/deadlines/",
        codes(200, anon=302),
        page=True,
        note="each caller's own visible cases by due date",
    ),
    Row(
        "page-dashboard",
        "GET",
        "/dashboard/",
        codes(404, anon=302, coord=200, dec=200, appeals=200),
        page=True,
        note="the pipeline dashboard: agency staff only, as the figures cover every case",
    ),
    Row(
        "page-dashboard-csv",
        "GET",
        "/dashboard/pipeline.csv",
        codes(404, anon=302, coord=200, dec=200, appeals=200),
        page=True,
        note="the dashboard's figures as CSV: the same rule as the page",
    ),
    Row(
        "page-condition",
        "GET",
        "/conditions/{condition}/",
        case_read(readers=("own", *STAFF), anon=302),
        setup="conditionally_accredited",
        page=True,
        note="the provider gets the answer form, the decision body the assessment form",
    ),
    Row(
        "page-condition-respond",
        "POST",
        "/conditions/{condition}/responses/",
        case_write(302, ("own",), readers=("own", *STAFF), anon=302),
        setup="conditionally_accredited",
        body={"text": "The assessment rules are published on our website."},
        page=True,
    ),
    Row(
        "page-condition-assess",
        "POST",
        "/conditions/{condition}/assess/",
        case_write(302, ("dec",), readers=("own", *STAFF), anon=302),
        setup="conditionally_accredited",
        body={"met": "yes", "comment": "Published."},
        page=True,
    ),
    Row(
        "page-registry-provider",
        "GET",
        "/registry/providers/{provider}/",
        codes(200),
        setup="accredited",
        page=True,
    ),
]


def cases():
    """(row, role) pairs the tests are generated from."""
    return [(row, role) for row in ROWS for role in ROLES]


ROLE_TEXT = {
    "anonymous": "no credentials",
    "provider_own": "admin of provider A, whose case is under test",
    "provider_other": "admin of provider B, a competitor",
    "reviewer_on": "reviewer with an accepted ordinary seat on A's panel",
    "reviewer_off": "reviewer with no seat on A's panel",
    "panel_chair": "reviewer with the accepted chair seat on A's panel",
    "coordinator": "agency coordinator",
    "decision_body": "decision body member (took the decision in decided setups)",
    "appeals": "appeals committee member who never decided",
}


def markdown():
    """docs/permissions.md, generated from ROWS (so the document cannot drift)."""
    short = {v: k for k, v in SHORT.items()}
    lines = [
        "# Permission matrix",
        "",
        "Generated from `tests/security/matrix.py` by "
        "`.venv/bin/python -m tests.security.matrix > docs/permissions.md`; "
        "`tests/security/test_matrix.py` runs one test per cell and asserts the exact "
        "status code, and that every refusal left all data unchanged.",
        "",
        "## Rules",
        "",
        "- Anonymous on an authenticated API endpoint: **401** with "
        "`WWW-Authenticate: Token` (token authentication is tried first); on a signed-in "
        "page: **302** to `/accounts/login/`. An expired or revoked token is no "
        'credential: **401** as well (tokens: docs/security.md, "Accounts").',
        "- An object the caller may not see: **404**, never 403, so ids reveal nothing.",
        "- An id in a request body naming something the caller may not see (another "
        "provider's course or previous application) gets the same **400** and message as "
        "an id that does not exist.",
        "- Memberships and agency roles change only through the services, which the admin "
        "calls: a provider's administrators, coordinators and superusers manage who acts "
        "for a provider, nobody for themself; only superusers grant agency roles, never "
        "their own; every change is an audit event (`test_admin_rules.py`).",
        "- The caller sees the object but lacks the right: **403**.",
        "- Right, wrong state: **409**. Right, right state, unmet guard or bad field: "
        "**400** naming the field or listing the unmet items.",
        "- Who sees a case: its provider's people, reviewers whose seat on its panel was "
        "accepted (a guardian object permission granted on accept and audited), and "
        "agency staff (coordinator, decision body, appeals committee). Every list comes "
        "from a selector applying the same rule.",
        "- Public: the registry API and pages, the JWKS, the OpenAPI schema, and ready "
        "published reports. The registry (API, pages, Atom feed, export) and the token "
        "endpoint are rate limited per client (**429** with `Retry-After`); the client "
        "is the socket peer unless `TRUSTED_PROXIES` names it.",
        "",
        "## Roles (columns)",
        "",
    ]
    lines += [f"- `{short[role]}` ({role}): {ROLE_TEXT[role]}" for role in ROLES]
    lines += [
        "",
        "`setup` is the situation of provider A's case when the request is made "
        "(`tests/security/conftest.py`, `World.prepare`).",
        "",
        "## Matrix",
        "",
        "| endpoint | method | setup | " + " | ".join(short[r] for r in ROLES) + " | note |",
        "|---|---|---|" + "---|" * len(ROLES) + "---|",
    ]
    for row in ROWS:
        cells = " | ".join(str(row.expect[r]) for r in ROLES)
        path = row.path.replace("|", "\\|")
        lines.append(f"| `{path}` | {row.method} | {row.setup} | {cells} | {row.note} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
