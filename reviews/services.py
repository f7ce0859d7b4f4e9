"""Writes of the review stage: panel seats, conflicts of interest, judgements, findings.

Every service locks what it changes, checks the actor's right (invisible → 404, no right
→ 403, wrong state → 409, bad input → 400 naming the field, a conflict of interest → 400
with code `conflict_of_interest`), writes, and schedules its e-mail after commit. The API,
the pages and the admin all call these, so they all behave the same.
"""

import dataclasses
import datetime
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from guardian.shortcuts import assign_perm, remove_perm

from accreditation.models import (
    Application,
    ApplicationState,
    Decision,
    Provider,
    ProviderMembership,
)
from accreditation.selectors import REVIEW_PERMISSION, applications_visible_to
from core import reference
from core.audit import audit
from core.effects import after_commit
from core.errors import ConflictError, GuardFailed, NotAllowed, NotVisible, Unmet
from core.roles import Role, has_role

from . import selectors, tasks
from .models import (
    Affiliation,
    ConflictDeclaration,
    Finding,
    Judgement,
    PanelAssignment,
    ReviewerJudgement,
    ReviewerProfile,
    SiteVisit,
    SiteVisitSession,
)

A = ApplicationState
S = PanelAssignment.State
# The object permission a seat grants, by its full name (the codename is accreditation's:
# its selectors read the permission to show a reviewer the case).
REVIEW_PERMISSION_NAME = f"{Application._meta.app_label}.{REVIEW_PERMISSION}"

# A panel is composed during screening; a seat may be refilled while the review runs.
PANEL_OPEN_STATES = (A.SCREENING, A.IN_REVIEW)
# Judgements and findings are written while the review runs, a pending clarification included.
JUDGING_STATES = (A.IN_REVIEW, A.CLARIFICATION_REQUESTED)


def invitation_open(assignment):
    """An invitation its reviewer can still take up (what `assignment_accept` requires
    besides the declaration): still `invited`, on a case whose panel takes members. One
    left on a withdrawn case or one past the draft report stays `invited` in the record
    but is not asked of the reviewer any more."""
    return (
        assignment.state == S.INVITED and assignment.application.state in selectors.ACCEPTING_STATES
    )


@dataclass(frozen=True)
class Conflict:
    """One reason a reviewer may not judge a case; `key` identifies it across checks, so
    that an override covers exactly the conflicts the coordinator saw. The reason is kept
    as its English message and parameters: the reader sees it in their language, the audit
    log keeps it in English."""

    key: str
    message: str
    params: dict = dataclasses.field(default_factory=dict, compare=False)

    @property
    def reason(self):
        """The reason in the reader's language."""
        return _(self.message) % self.params

    @property
    def recorded(self):
        """The reason in English, as the audit log keeps it."""
        return self.message % self.params

    def as_unmet(self):
        return Unmet("conflict_of_interest", self.reason)


# --------------------------------------------------------------------------- conflicts


def conflicts_of_interest(*, reviewer, application):
    """Every conflict of interest of `reviewer` on `application`, empty when none.

    ESG 2.4 asks for independent experts. A reviewer is conflicted when they act for the
    provider now; when they were affiliated with it (employed, contracted ...) and the tie
    ended less than `MCQA_COI_COOLING_OFF_YEARS` ago or has not ended; when they declared a
    conflict against the provider themselves; or when they took a decision on this very
    case as a decision-body member (nobody reviews a case they decided).
    """
    return conflicts_among(reviewers=[reviewer], application=application)[reviewer.pk]


def conflicts_among(*, reviewers, application):
    """`{reviewer id: [Conflict, ...]}` for every one of `reviewers` on `application`, by
    the rule of `conflicts_of_interest` (which reads through this), in four queries
    whatever the number of reviewers: composing a panel shows every candidate's conflicts
    before anyone is invited."""
    provider = application.provider
    by_id = {reviewer.pk: reviewer for reviewer in reviewers}
    found = {pk: [] for pk in by_id}
    names = {pk: reviewer.get_username() for pk, reviewer in by_id.items()}
    members = set(
        ProviderMembership.objects.filter(user_id__in=by_id, provider_id=provider.pk).values_list(
            "user_id", flat=True
        )
    )
    for pk in by_id:
        if pk in members:
            found[pk].append(
                Conflict(
                    f"membership:{provider.pk}",
                    gettext_noop("%(name)s acts for %(provider)s."),
                    {"name": names[pk], "provider": provider.legal_name},
                )
            )
    today = timezone.now().date()
    cooling_off_years = settings.MCQA_COI_COOLING_OFF_YEARS
    horizon = _years_before(today, cooling_off_years)
    for affiliation in Affiliation.objects.filter(reviewer_id__in=by_id, provider_id=provider.pk):
        name = names[affiliation.reviewer_id]
        if affiliation.end_date is None:
            found[affiliation.reviewer_id].append(
                Conflict(
                    f"affiliation:{affiliation.pk}",
                    gettext_noop("%(name)s is affiliated with %(provider)s%(description)s."),
                    {
                        "name": name,
                        "provider": provider.legal_name,
                        "description": _described(affiliation),
                    },
                )
            )
        elif affiliation.end_date > horizon:
            found[affiliation.reviewer_id].append(
                Conflict(
                    f"affiliation:{affiliation.pk}",
                    gettext_noop(
                        "%(name)s was affiliated with %(provider)s%(description)s until "
                        "%(end)s, less than %(years)s years ago (the cooling-off period)."
                    ),
                    {
                        "name": name,
                        "provider": provider.legal_name,
                        "description": _described(affiliation),
                        "end": affiliation.end_date.isoformat(),
                        "years": cooling_off_years,
                    },
                )
            )
    for declaration in ConflictDeclaration.objects.filter(
        reviewer_id__in=by_id, provider_id=provider.pk
    ):
        found[declaration.reviewer_id].append(
            Conflict(
                f"declaration:{declaration.pk}",
                gettext_noop("%(name)s declared a conflict with %(provider)s: %(reason)s"),
                {
                    "name": names[declaration.reviewer_id],
                    "provider": provider.legal_name,
                    "reason": declaration.reason,
                },
            )
        )
    for decision in Decision.objects.filter(application_id=application.pk, decided_by_id__in=by_id):
        found[decision.decided_by_id].append(
            Conflict(
                f"decision:{decision.pk}",
                gettext_noop(
                    "%(name)s took a decision on this case as a member of the decision body."
                ),
                {"name": names[decision.decided_by_id]},
            )
        )
    return found


def unresolved_conflicts(assignment):
    """The conflicts of an assignment's reviewer that its override (if any) did not cover."""
    covered = set(assignment.overridden_conflicts or ())
    return [
        conflict
        for conflict in conflicts_of_interest(
            reviewer=assignment.reviewer, application=assignment.application
        )
        if conflict.key not in covered
    ]


def _described(affiliation):
    return f" ({affiliation.description})" if affiliation.description else ""


def _years_before(day, years):
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def conflict_declare(*, reviewer, provider, reason):
    """Record that `reviewer` has a conflict of interest with `provider`.

    Reviewers declare what the agency cannot know (a relative on the staff, a competing
    offer ...). The declaration is checked on every later assignment and acceptance, and
    by `start_review` for seats already accepted.
    """
    if not has_role(reviewer, Role.REVIEWER):
        raise NotAllowed(_("Only reviewers declare conflicts of interest."))
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if not reason:
        raise ValidationError({"reason": [_("Say what the conflict of interest is.")]})
    if not isinstance(provider, Provider):
        raise ValidationError({"provider": [_("Name an existing provider.")]})
    declaration = ConflictDeclaration.objects.create(
        reviewer=reviewer, provider=provider, reason=reason
    )
    audit("review.conflict_declared", actor=reviewer, obj=declaration, provider=provider.pk)
    return declaration


# --------------------------------------------------------------------------- profiles

PROFILE_FIELDS = (
    "expertise",
    "country",
    "languages",
    "is_student",
    "student_until",
    "last_training_on",
)
# More fields than a person can be expert in; a longer list is a mistake or an attack.
PROFILE_LIST_LIMIT = 20


def _code_list(value, field, known, what):
    if not isinstance(value, list | tuple):
        raise ValidationError({field: [_("Give a list of %(what)s.") % {"what": what}]})
    if len(value) > PROFILE_LIST_LIMIT:
        raise ValidationError(
            {
                field: [
                    _("Give at most %(limit)s %(what)s.")
                    % {"limit": PROFILE_LIST_LIMIT, "what": what}
                ]
            }
        )
    bad = [str(code) for code in value if not known(code)]
    if bad:
        raise ValidationError(
            {field: [_("Not %(what)s: %(codes)s.") % {"what": what, "codes": ", ".join(bad)}]}
        )
    return list(dict.fromkeys(value))


def _day(value, field):
    if value is None or isinstance(value, date):
        return value
    raise ValidationError({field: [_("Give a date (YYYY-MM-DD) or nothing.")]})


def reviewer_profile_update(*, reviewer, actor, changes):
    """The reviewer keeps their own profile: fields of expertise (ISCED-F 2013 codes that
    exist), country (ISO 3166-1 alpha-2 or empty), languages (ISO 639-1), student status
    with the day it ends, and the day of their last training (not in the future).

    ESG 2.4 asks for panels with the right expertise, a student member and trained
    experts; panel composition ranks candidates by these facts, so only the reviewer
    themself writes them (anybody else: 403), and only a holder of the reviewer role
    (403). `changes` holds the fields to change; an unknown or invalid field is 400
    naming it, and nothing is written. A student needs an end date that has not passed.
    The change is audited with the fields it touched.
    """
    if actor is None or actor.pk != reviewer.pk:
        raise NotAllowed(_("Reviewers keep their own profile."))
    if not has_role(reviewer, Role.REVIEWER):
        raise NotAllowed(_("Only reviewers keep a reviewer profile."))
    unknown = sorted(set(changes) - set(PROFILE_FIELDS))
    if unknown:
        raise ValidationError(
            {name: [_("Not a field of the reviewer profile.")] for name in unknown}
        )
    clean = {}
    if "expertise" in changes:
        clean["expertise"] = _code_list(
            changes["expertise"], "expertise", reference.is_isced_f, _("ISCED-F 2013 field codes")
        )
    if "languages" in changes:
        clean["languages"] = _code_list(
            changes["languages"], "languages", reference.is_language, _("ISO 639-1 language codes")
        )
    if "country" in changes:
        country = changes["country"] or ""
        if country and not reference.is_country(country):
            raise ValidationError(
                {"country": [_("%(code)s is not an ISO 3166-1 alpha-2 code.") % {"code": country}]}
            )
        clean["country"] = country
    if "is_student" in changes:
        if not isinstance(changes["is_student"], bool):
            raise ValidationError({"is_student": [_("Say true or false.")]})
        clean["is_student"] = changes["is_student"]
    for field in ("student_until", "last_training_on"):
        if field in changes:
            clean[field] = _day(changes[field], field)
    today = timezone.localdate()
    if clean.get("last_training_on") and clean["last_training_on"] > today:
        raise ValidationError(
            {"last_training_on": [_("The last training cannot be in the future.")]}
        )
    with transaction.atomic():
        profile = ReviewerProfile.objects.select_for_update().filter(
            reviewer=reviewer
        ).first() or ReviewerProfile(reviewer=reviewer)
        for field, value in clean.items():
            setattr(profile, field, value)
        if profile.is_student:
            if profile.student_until is None:
                raise ValidationError(
                    {"student_until": [_("A student member says when the student status ends.")]}
                )
            if "student_until" in clean and profile.student_until < today:
                raise ValidationError(
                    {"student_until": [_("The student status has already ended.")]}
                )
        profile.save()
        audit("review.profile_updated", actor=actor, obj=profile, fields=sorted(clean))
    return profile


# --------------------------------------------------------------------------- panel seats


def _visible_application(application, actor):
    if not applications_visible_to(user=actor).filter(pk=application.pk).exists():
        raise NotVisible()


def _locked_application(application):
    return Application.objects.select_for_update().select_related("provider").get(pk=application.pk)


def _assignment_due_date():
    return timezone.now().date() + timedelta(days=settings.MCQA_DEADLINE_DAYS["assignment"])


def _judgements_due_date(application):
    """The reviewer's next step after accepting: their judgements, due with the review."""
    if application.state in JUDGING_STATES and application.due_at is not None:
        return timezone.localdate(application.due_at)
    return timezone.now().date() + timedelta(days=settings.MCQA_DEADLINE_DAYS["in_review"])


def panel_member_assign(*, application, reviewer, role, actor, override_justification=""):
    """Invite `reviewer` to `application`'s panel in `role` (chair, member or student).

    Only a coordinator composes panels (403), while the application is in screening or,
    to refill a seat, in review (409). The reviewer must hold the reviewer role and not sit
    on the panel already; a panel has one chair. A conflict of interest refuses the seat
    (400, code `conflict_of_interest`, one item per reason) unless the coordinator writes
    an `override_justification`, which is stored with the seat and audited. The invitation
    is answerable within `MCQA_DEADLINE_DAYS["assignment"]` days and mailed after commit.
    """
    _visible_application(application, actor)
    if not has_role(actor, Role.COORDINATOR):
        raise NotAllowed(_("Only a coordinator composes the panel."))
    justification = override_justification.strip() if override_justification else ""
    try:
        with transaction.atomic():
            locked = _locked_application(application)
            if locked.state not in PANEL_OPEN_STATES:
                raise ConflictError(
                    _(
                        "The panel can be composed only in screening or in review, not while "
                        "the application is %(state)s."
                    )
                    % {"state": locked.state}
                )
            if role not in PanelAssignment.Role.values:
                raise ValidationError(
                    {
                        "role": [
                            _("Choose one of: %(values)s.")
                            % {"values": ", ".join(PanelAssignment.Role.values)}
                        ]
                    }
                )
            if not has_role(reviewer, Role.REVIEWER):
                raise ValidationError(
                    {
                        "reviewer": [
                            _("%(name)s does not hold the reviewer role.")
                            % {"name": reviewer.get_username()}
                        ]
                    }
                )
            live = PanelAssignment.objects.filter(
                application=locked, state__in=selectors.LIVE_STATES
            )
            if live.filter(reviewer=reviewer).exists():
                raise ValidationError(
                    {
                        "reviewer": [
                            _("%(name)s already has a seat on this panel.")
                            % {"name": reviewer.get_username()}
                        ]
                    }
                )
            if role == PanelAssignment.Role.CHAIR and live.filter(role=role).exists():
                raise ValidationError(
                    {"role": [_("The panel already has a chair; replace the chair first.")]}
                )
            conflicts = conflicts_of_interest(reviewer=reviewer, application=locked)
            if conflicts and not justification:
                raise GuardFailed(
                    [c.as_unmet() for c in conflicts],
                    detail=_(
                        "The reviewer has a conflict of interest with this case. A "
                        "coordinator may override it only with a written justification."
                    ),
                )
            assignment = PanelAssignment.objects.create(
                application=locked,
                reviewer=reviewer,
                role=role,
                due_date=_assignment_due_date(),
                assigned_by=actor,
                override_justification=justification if conflicts else "",
                overridden_conflicts=[c.key for c in conflicts],
            )
            if conflicts:
                audit(
                    "review.conflict_overridden",
                    actor=actor,
                    obj=assignment,
                    application=locked.pk,
                    reviewer=reviewer.get_username(),
                    conflicts=[c.recorded for c in conflicts],
                    justification=justification,
                )
            after_commit(tasks.notify_reviewer_invited.delay, assignment_id=assignment.pk)
    except IntegrityError as exc:
        raise ConflictError(_("The panel changed meanwhile; reload and try again.")) from exc
    return assignment


def _locked_own_assignment(assignment, actor):
    """The actor's own seat, locked; anybody else's seat does not exist for them (404)."""
    locked = (
        PanelAssignment.objects.select_for_update()
        .select_related("application__provider", "reviewer")
        .filter(pk=assignment.pk)
        .first()
    )
    if locked is None or locked.reviewer_id != getattr(actor, "pk", None):
        raise NotVisible()
    return locked


def _grant_review(assignment, actor):
    assign_perm(REVIEW_PERMISSION_NAME, assignment.reviewer, assignment.application)
    audit(
        "review.permission_granted",
        actor=actor,
        obj=assignment.application,
        permission=REVIEW_PERMISSION_NAME,
        reviewer=assignment.reviewer.get_username(),
        assignment=assignment.pk,
    )


def _revoke_review(assignment, actor):
    """Withdraw the visibility a seat gave, unless the reviewer still sits on the panel in
    another seat (they cannot: one live seat per reviewer, but say so explicitly)."""
    still_sitting = (
        PanelAssignment.objects.filter(
            application_id=assignment.application_id,
            reviewer_id=assignment.reviewer_id,
            state__in=selectors.SITTING_STATES,
        )
        .exclude(pk=assignment.pk)
        .exists()
    )
    if still_sitting:
        return
    removed = remove_perm(REVIEW_PERMISSION_NAME, assignment.reviewer, assignment.application)
    if removed:
        audit(
            "review.permission_revoked",
            actor=actor,
            obj=assignment.application,
            permission=REVIEW_PERMISSION_NAME,
            reviewer=assignment.reviewer.get_username(),
            assignment=assignment.pk,
        )


def assignment_accept(*, assignment, actor, no_conflict):
    """The invited reviewer takes the seat, declaring that they have no conflict of interest.

    Only the invitee may answer (anybody else: 404); only an invitation can be accepted
    (409), while the case is still under review (409). `no_conflict` must be exactly true
    (400 naming `no_conflict`). Conflicts are checked again, since one may have arisen since
    the invitation (400 `conflict_of_interest`); those the coordinator overrode stay
    overridden. Accepting grants the object permission to see the application and its
    documents (audited); the reviewer's next step, their judgements, is due with the review.
    """
    with transaction.atomic():
        locked = _locked_own_assignment(assignment, actor)
        if no_conflict is not True:
            raise ValidationError(
                {
                    "no_conflict": [
                        _("Declare that you have no conflict of interest (no_conflict: true).")
                    ]
                }
            )
        if locked.state != S.INVITED:
            raise ConflictError(
                _("This assignment is %(state)s; only an invitation is accepted.")
                % {"state": locked.state}
            )
        application = locked.application
        if application.state not in selectors.ACCEPTING_STATES:
            raise ConflictError(
                _("The application is %(state)s; its panel takes no new members.")
                % {"state": application.state}
            )
        conflicts = unresolved_conflicts(locked)
        if conflicts:
            raise GuardFailed(
                [c.as_unmet() for c in conflicts],
                detail=_(
                    "You have a conflict of interest with this case; decline the seat instead."
                ),
            )
        locked.state = S.ACCEPTED
        locked.no_conflict_declared = True
        locked.responded_at = timezone.now()
        locked.due_date = _judgements_due_date(application)
        locked.reminder_sent_at = None
        locked.save()
        _grant_review(locked, actor)
    return locked


def assignment_decline(*, assignment, actor, reason):
    """The reviewer gives up an invitation or an accepted seat, saying why (400 naming
    `reason` when empty). The seat is freed for another reviewer, the permission to see the
    application (if accepting granted it) is withdrawn, and the coordinator is told.
    A completed or replaced seat is history and cannot be declined (409).
    """
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        raise ValidationError({"reason": [_("Say why you decline the seat.")]})
    with transaction.atomic():
        locked = _locked_own_assignment(assignment, actor)
        if locked.state not in (S.INVITED, S.ACCEPTED):
            raise ConflictError(
                _("This assignment is %(state)s; it cannot be declined.") % {"state": locked.state}
            )
        was_accepted = locked.state == S.ACCEPTED
        locked.state = S.DECLINED
        locked.decline_reason = reason
        locked.responded_at = timezone.now()
        locked.save()
        if was_accepted:
            _revoke_review(locked, actor)
        after_commit(tasks.notify_assignment_declined.delay, assignment_id=locked.pk)
    return locked


def assignment_replace(*, assignment, actor, reason="", reviewer=None, override_justification=""):
    """The coordinator takes a seat back from a silent or unavailable reviewer and,
    optionally, gives the same role to `reviewer` in the same transaction.

    Only a coordinator (403); only an invited or accepted seat (409: a declined seat is
    already free, a completed one is history); only while the panel is open (screening or
    in review, 409). The replaced reviewer loses the permission to see the application.
    Returns `(replaced, replacement or None)`; if the new seat is refused (e.g. a conflict
    of interest), nothing changes.
    """
    application = assignment.application
    _visible_application(application, actor)
    if not has_role(actor, Role.COORDINATOR):
        raise NotAllowed(_("Only a coordinator replaces panel members."))
    with transaction.atomic():
        locked_app = _locked_application(application)
        if locked_app.state not in PANEL_OPEN_STATES:
            raise ConflictError(
                _(
                    "Seats can be replaced only in screening or in review, not while the "
                    "application is %(state)s."
                )
                % {"state": locked_app.state}
            )
        locked = (
            PanelAssignment.objects.select_for_update()
            .select_related("reviewer")
            .get(pk=assignment.pk)
        )
        if locked.state not in (S.INVITED, S.ACCEPTED):
            raise ConflictError(
                _("This assignment is %(state)s; it cannot be replaced.") % {"state": locked.state}
            )
        was_accepted = locked.state == S.ACCEPTED
        locked.state = S.REPLACED
        locked.save()
        if was_accepted:
            _revoke_review(locked, actor)
        audit(
            "review.assignment_replaced",
            actor=actor,
            obj=locked,
            application=locked_app.pk,
            reviewer=locked.reviewer.get_username(),
            reason=(reason or "").strip(),
        )
        replacement = None
        if reviewer is not None:
            replacement = panel_member_assign(
                application=locked_app,
                reviewer=reviewer,
                role=locked.role,
                actor=actor,
                override_justification=override_justification,
            )
    return locked, replacement


# --------------------------------------------------------------------------- judgements


def _checked_judgement(judgement, rationale):
    errors = {}
    if judgement not in Judgement.values:
        errors["judgement"] = [
            _("Choose one of: %(values)s.") % {"values": ", ".join(Judgement.values)}
        ]
    rationale = rationale.strip() if isinstance(rationale, str) else ""
    if not rationale:
        errors["rationale"] = [_("Give the rationale for the judgement.")]
    if errors:
        raise ValidationError(errors)
    return rationale


def _standard_or_404(application, standard_code):
    standard = selectors.standard_of(application, standard_code)
    if standard is None:
        raise NotVisible(
            _("The framework of this application has no standard %(code)s.")
            % {"code": repr(standard_code)}
        )
    return standard


def judgement_put(*, assignment, standard_code, actor, judgement, rationale):
    """Record (or revise) one panel member's judgement of one standard.

    Only the reviewer holding the seat (others: 404), once accepted (403), while the review
    runs (in review or awaiting a clarification; else 409). The standard must belong to
    the framework frozen at submission (404); the judgement is on the contract scale and
    needs a rationale (400 naming `judgement` / `rationale`). Returns `(judgement, created)`.
    """
    with transaction.atomic():
        locked = _locked_own_assignment(assignment, actor)
        if locked.state != S.ACCEPTED:
            raise NotAllowed(_("Only a reviewer who accepted the seat records judgements."))
        application = locked.application
        if application.state not in JUDGING_STATES:
            raise ConflictError(
                _(
                    "Judgements are recorded during the review, not while the application "
                    "is %(state)s."
                )
                % {"state": application.state}
            )
        standard = _standard_or_404(application, standard_code)
        rationale = _checked_judgement(judgement, rationale)
        record, created = ReviewerJudgement.objects.update_or_create(
            assignment=locked,
            standard=standard,
            defaults={"judgement": judgement, "rationale": rationale},
        )
    return record, created


def finding_put(*, application, standard_code, actor, judgement, rationale, recommendations=""):
    """Record (or revise) the panel's consolidated finding on one standard.

    Only the accepted chair of the panel (others who see the case: 403; others: 404), while
    the review runs (409 otherwise), for a standard of the frozen framework (404), on the
    contract scale with a rationale (400 naming the field); recommendations are optional.
    Returns `(finding, created)`.
    """
    _visible_application(application, actor)
    with transaction.atomic():
        locked = _locked_application(application)
        if not PanelAssignment.objects.filter(
            application=locked, reviewer=actor, role=PanelAssignment.Role.CHAIR, state=S.ACCEPTED
        ).exists():
            raise NotAllowed(_("Only the panel chair records the panel's findings."))
        if locked.state not in JUDGING_STATES:
            raise ConflictError(
                _(
                    "Findings are recorded during the review, not while the application "
                    "is %(state)s."
                )
                % {"state": locked.state}
            )
        standard = _standard_or_404(locked, standard_code)
        rationale = _checked_judgement(judgement, rationale)
        if recommendations is None:
            recommendations = ""
        if not isinstance(recommendations, str):
            raise ValidationError({"recommendations": [_("Recommendations are text.")]})
        finding, created = Finding.objects.update_or_create(
            application=locked,
            standard=standard,
            defaults={
                "judgement": judgement,
                "rationale": rationale,
                "recommendations": recommendations.strip(),
                "recorded_by": actor,
            },
        )
    return finding, created


def panel_summary(*, application):
    """Who judged what: per standard of the frozen framework, every sitting member's
    judgement (or their absence) and the chair's finding, so the chair can consolidate and
    see what is still missing. Four queries whatever the size of the panel."""
    standards = list(selectors.standards_of(application))
    members = list(selectors.sitting_panel(application))
    judgements = {
        (j.assignment_id, j.standard_id): j
        for j in ReviewerJudgement.objects.filter(assignment__in=[m.pk for m in members])
    }
    findings = {f.standard_id: f for f in Finding.objects.filter(application=application)}
    rows = []
    for standard in standards:
        entries, missing = [], []
        for member in members:
            judged = judgements.get((member.pk, standard.pk))
            name = member.reviewer.get_username()
            if judged is None:
                missing.append(name)
                continue
            entries.append(
                {
                    "reviewer": name,
                    "role": member.role,
                    "judgement": judged.judgement,
                    "rationale": judged.rationale,
                }
            )
        finding = findings.get(standard.pk)
        counts = dict.fromkeys(Judgement.values, 0)
        for entry in entries:
            counts[entry["judgement"]] += 1
        rows.append(
            {
                "standard": standard.code,
                "title": standard.display_title,
                "judgements": entries,
                "counts": counts,
                "missing": missing,
                "finding": None
                if finding is None
                else {
                    "judgement": finding.judgement,
                    "rationale": finding.rationale,
                    "recommendations": finding.recommendations,
                },
            }
        )
    return {
        "application": application.pk,
        "panel": [
            {"id": m.pk, "reviewer": m.reviewer.get_username(), "role": m.role, "state": m.state}
            for m in members
        ],
        "standards": rows,
    }


# --------------------------------------------------------------------------- site visits

SITE_VISIT_FIELDS = ("mode", "starts_on", "ends_on", "sessions")
MAX_SITE_VISIT_SESSIONS = 50


def _visit_date(value):
    """A date from `YYYY-MM-DD` (or a date), None when it is not one."""
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return None


def _checked_site_visit(data):
    """The visit's fields, checked: every bad field is named (400), nothing is written."""
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": [_("Send an object with the visit's fields.")]})
    errors = {}
    for name in sorted(set(data) - set(SITE_VISIT_FIELDS)):
        errors[name] = [_("Unknown field.")]
    mode = data.get("mode")
    if mode not in SiteVisit.Mode.values:
        errors["mode"] = [
            _("Choose one of: %(values)s.") % {"values": ", ".join(SiteVisit.Mode.values)}
        ]
    days = {}
    for name in ("starts_on", "ends_on"):
        days[name] = _visit_date(data.get(name))
        if days[name] is None:
            errors[name] = [_("Give a date as YYYY-MM-DD.")]
    starts_on, ends_on = days["starts_on"], days["ends_on"]
    if starts_on and ends_on and ends_on < starts_on:
        errors["ends_on"] = [_("The visit cannot end before it starts.")]
    sessions = data.get("sessions")
    checked = []
    if not isinstance(sessions, list) or not sessions:
        errors["sessions"] = [_("Plan at least one session (a group and a time).")]
    elif len(sessions) > MAX_SITE_VISIT_SESSIONS:
        errors["sessions"] = [
            _("A visit has at most %(count)s sessions.") % {"count": MAX_SITE_VISIT_SESSIONS}
        ]
    else:
        for index, session in enumerate(sessions):
            checked.append(_checked_session(errors, index, session, starts_on, ends_on))
    if errors:
        raise ValidationError(errors)
    return {"mode": mode, "starts_on": starts_on, "ends_on": ends_on, "sessions": checked}


def _checked_session(errors, index, session, starts_on, ends_on):
    prefix = f"sessions[{index}]"
    if not isinstance(session, dict):
        errors[prefix] = [_("Give the session as {group, at}.")]
        return None
    for name in sorted(set(session) - {"group", "at"}):
        errors[f"{prefix}.{name}"] = [_("Unknown field.")]
    group = session.get("group")
    if group not in SiteVisitSession.Group.values:
        errors[f"{prefix}.group"] = [
            _("Choose one of: %(values)s.") % {"values": ", ".join(SiteVisitSession.Group.values)}
        ]
    at = session.get("at")
    try:
        at = at if isinstance(at, datetime.datetime) else parse_datetime(at)
    except (TypeError, ValueError):
        at = None
    if at is None:
        errors[f"{prefix}.at"] = [_("Give a date and time as YYYY-MM-DDTHH:MM.")]
        return None
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    day = timezone.localtime(at).date()
    if starts_on and ends_on and not (starts_on <= day <= ends_on):
        errors[f"{prefix}.at"] = [
            _("The session must take place during the visit (%(start)s to %(end)s).")
            % {"start": starts_on.isoformat(), "end": ends_on.isoformat()}
        ]
    return {"group": group, "at": at}


def _check_plans_site_visit(application, actor):
    """404 for whoever may not see the case, 403 for whoever sees it but neither runs the
    procedure (a coordinator) nor leads the panel (its chair)."""
    _visible_application(application, actor)
    if not selectors.may_plan_site_visit(actor, application):
        raise NotAllowed(_("Only the panel chair or a coordinator plans the site visit."))


def _check_site_visit_state(application):
    if application.state not in selectors.SITE_VISIT_STATES:
        raise ConflictError(
            _(
                "A site visit is planned from screening until the draft report, not while the "
                "application is %(state)s."
            )
            % {"state": application.state}
        )


def site_visit_plan(*, application, actor, data):
    """Plan the panel's site visit (ESG 2.3): `mode` (onsite or online), `starts_on`,
    `ends_on` and its `sessions` (`[{group, at}]`, the interviews with management, staff,
    learners, employers, graduates or others).

    The panel chair or a coordinator plans it (others who see the case: 403; others: 404),
    from screening until the draft report (409). The visit ends on or after its first day,
    every session takes place during it, and groups and modes are those of the contract
    (400 naming each bad field: `ends_on`, `sessions[1].at` ...). A visit may be recorded
    after it happened. It changes no state of the case, so it is not a transition; it is
    audited (`review.site_visit_planned`). An institutional review's draft report needs a
    visit that has ended and its minutes (`reviews.rules.site_visit_held`).
    """
    _check_plans_site_visit(application, actor)
    with transaction.atomic():
        locked = _locked_application(application)
        _check_site_visit_state(locked)
        checked = _checked_site_visit(data)
        visit = SiteVisit.objects.create(
            application=locked,
            mode=checked["mode"],
            starts_on=checked["starts_on"],
            ends_on=checked["ends_on"],
            planned_by=actor,
        )
        SiteVisitSession.objects.bulk_create(
            SiteVisitSession(visit=visit, group=s["group"], at=s["at"]) for s in checked["sessions"]
        )
        audit(
            "review.site_visit_planned",
            actor=actor,
            obj=visit,
            application=locked.pk,
            mode=visit.mode,
            starts_on=visit.starts_on.isoformat(),
            ends_on=visit.ends_on.isoformat(),
            sessions=[
                {"group": s["group"], "at": s["at"].isoformat()} for s in checked["sessions"]
            ],
        )
    return visit


def site_visit_cancel(*, visit, actor):
    """Cancel a planned visit before it has begun (its first day is still ahead).

    The same people as plan it (403; 404 for those who may not see the case), while a
    visit can be planned (409); a visit that has begun, or was cancelled, cannot be
    cancelled (409): it happened, and its minutes tell how. The visit stays in the record
    with who cancelled it and when (audited) and no longer counts as held.
    """
    application = visit.application
    _check_plans_site_visit(application, actor)
    with transaction.atomic():
        locked_app = _locked_application(application)
        _check_site_visit_state(locked_app)
        locked = SiteVisit.objects.select_for_update().get(pk=visit.pk)
        if locked.cancelled_at is not None:
            raise ConflictError(_("This site visit was cancelled already."))
        if locked.starts_on <= timezone.localdate():
            raise ConflictError(_("This site visit has begun; it can no longer be cancelled."))
        locked.cancelled_at = timezone.now()
        locked.cancelled_by = actor
        locked.save(update_fields=["cancelled_at", "cancelled_by", "updated_at"])
        audit("review.site_visit_cancelled", actor=actor, obj=locked, application=locked_app.pk)
    return locked


def site_visit_change(*, visit, actor, data):
    """Change a planned visit before it begins: any of `mode`, `starts_on`, `ends_on` and
    `sessions` (given sessions replace the old ones). The same people as plan it (403; 404
    for those who may not see the case), while a visit can be planned (409), and not once
    it has begun or was cancelled (409). The visit as changed is checked as a new plan is
    (400 naming each bad field; nothing changes then), and the change is audited with the
    visit as it was and as it is.
    """
    application = visit.application
    _check_plans_site_visit(application, actor)
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": [_("Send an object with the visit's fields.")]})
    with transaction.atomic():
        locked_app = _locked_application(application)
        _check_site_visit_state(locked_app)
        locked = SiteVisit.objects.select_for_update().get(pk=visit.pk)
        if locked.cancelled_at is not None:
            raise ConflictError(_("This site visit was cancelled; plan a new one."))
        if locked.starts_on <= timezone.localdate():
            raise ConflictError(_("This site visit has begun; it can no longer be changed."))
        before = _visit_as_data(locked)
        checked = _checked_site_visit({**before, **data})
        locked.mode = checked["mode"]
        locked.starts_on = checked["starts_on"]
        locked.ends_on = checked["ends_on"]
        locked.save(update_fields=["mode", "starts_on", "ends_on", "updated_at"])
        if "sessions" in data:
            locked.sessions.all().delete()
            SiteVisitSession.objects.bulk_create(
                SiteVisitSession(visit=locked, group=s["group"], at=s["at"])
                for s in checked["sessions"]
            )
        audit(
            "review.site_visit_changed",
            actor=actor,
            obj=locked,
            application=locked_app.pk,
            before=_json_visit(before),
            after=_json_visit(_visit_as_data(locked)),
        )
    return locked


def _visit_as_data(visit):
    return {
        "mode": visit.mode,
        "starts_on": visit.starts_on,
        "ends_on": visit.ends_on,
        "sessions": [{"group": s.group, "at": s.at} for s in visit.sessions.all()],
    }


def _json_visit(data):
    return {
        "mode": data["mode"],
        "starts_on": data["starts_on"].isoformat(),
        "ends_on": data["ends_on"].isoformat(),
        "sessions": [{"group": s["group"], "at": s["at"].isoformat()} for s in data["sessions"]],
    }
