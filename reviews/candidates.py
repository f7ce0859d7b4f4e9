"""Panel composition: the reviewers a coordinator may invite to one application, ranked by
fit, each with the reasons for their score in words and any conflict of interest, before
anyone is invited.

ESG 2.4 asks for panels of independent experts with the right expertise, a student member
and training. The fit adds up what the reviewer's profile brings to this case:

- expertise in the case's ISCED-F fields: the same detailed (4-digit) field ranks above
  the same narrow (3-digit) field, which ranks above the same broad (2-digit) field;
- a working language of the dossier (the course's languages; for an institutional review,
  those of the provider's courses);
- the provider's country (the national system is known to them);
- a valid student status while the panel still has no student member;
- training within the last `MCQA_REVIEWER_TRAINING_YEARS` years.

Reviewers already invited to or sitting on this panel are not candidates. A candidate with
a conflict of interest is still listed, after the others, with the conflict named and no
invitation offered (the coordinator may still override through the invitation form, as the
service allows). The whole list costs a constant number of queries.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accreditation.models import Application, Course
from core import reference
from core.roles import Role

from . import selectors, services
from .models import PanelAssignment, ReviewerProfile

# Points per fact; the order of the weights is the rule, their size only separates them.
EXPERTISE_DETAILED = 40
EXPERTISE_NARROW = 25
EXPERTISE_BROAD = 15
LANGUAGE = 20
COUNTRY = 5
STUDENT_NEEDED = 30
TRAINED = 10


@dataclass
class Candidate:
    """One reviewer as a candidate for a panel seat."""

    reviewer: object
    profile: ReviewerProfile | None
    score: int = 0
    reasons: list = field(default_factory=list)
    missing: list = field(default_factory=list)
    conflicts: list = field(default_factory=list)
    role: str = PanelAssignment.Role.MEMBER

    @property
    def invitable(self):
        return not self.conflicts

    @property
    def expertise_labels(self):
        return expertise_labels(self.profile.expertise if self.profile else [])


def expertise_labels(codes):
    """`["0613 Software and applications development and analysis", ...]` for ISCED-F codes."""
    return [f"{code} {reference.ISCED_F_2013.get(code, '')}".strip() for code in codes or ()]


@dataclass(frozen=True)
class CaseNeeds:
    """What the case asks of its panel: its fields, the dossier's languages, the provider's
    country, and whether the panel still needs a chair or a student member."""

    fields: tuple
    languages: tuple
    country: str
    needs_chair: bool
    needs_student: bool


def case_needs(application):
    """The needs of `application` (two queries: the courses' fields and languages, the
    live seats' roles)."""
    if application.course_id is not None:
        course = application.course_as_assessed
        fields = [course.isced_f] if course.isced_f else []
        languages = list(course.languages or [])
    else:
        fields, languages = [], []
        for isced_f, course_languages in Course.objects.filter(
            provider_id=application.provider_id
        ).values_list("isced_f", "languages"):
            if isced_f:
                fields.append(isced_f)
            languages.extend(course_languages or [])
    roles = set(
        PanelAssignment.objects.filter(
            application_id=application.pk, state__in=selectors.LIVE_STATES
        ).values_list("role", flat=True)
    )
    return CaseNeeds(
        fields=tuple(dict.fromkeys(fields)),
        languages=tuple(dict.fromkeys(languages)),
        country=application.provider.country,
        needs_chair=PanelAssignment.Role.CHAIR not in roles,
        needs_student=PanelAssignment.Role.STUDENT not in roles,
    )


def _expertise_fit(expertise, fields):
    """The best match of a reviewer's fields with the case's: (points, reason) or None."""
    best = None
    for code in expertise:
        for wanted in fields:
            label = reference.ISCED_F_2013.get(wanted, "")
            if len(code) == 4 and code == wanted:
                found = (
                    EXPERTISE_DETAILED,
                    _("expert in the case's field %(code)s %(label)s")
                    % {"code": wanted, "label": label},
                )
            elif len(code) >= 3 and len(wanted) >= 3 and code[:3] == wanted[:3]:
                narrow = reference.ISCED_F_2013.get(wanted[:3], "")
                found = (
                    EXPERTISE_NARROW,
                    _("expert in the same narrow field %(code)s %(label)s")
                    % {"code": wanted[:3], "label": narrow},
                )
            elif code[:2] == wanted[:2]:
                broad = reference.ISCED_F_2013.get(wanted[:2], "")
                found = (
                    EXPERTISE_BROAD,
                    _("expert in the same broad field %(code)s %(label)s")
                    % {"code": wanted[:2], "label": broad},
                )
            else:
                continue
            if best is None or found[0] > best[0]:
                best = found
    return best


def score(profile, needs, today):
    """`(points, reasons, missing)` of one reviewer's profile for a case's `needs`."""
    if profile is None:
        return 0, [], [_("no reviewer profile yet")]
    points, reasons, missing = 0, [], []
    fit = _expertise_fit(profile.expertise, needs.fields)
    if fit:
        points += fit[0]
        reasons.append(fit[1])
    elif needs.fields:
        missing.append(_("no expertise in the case's field"))
    spoken = [code for code in needs.languages if code in profile.languages]
    if spoken:
        points += LANGUAGE
        reasons.append(
            _("works in the dossier's language (%(languages)s)") % {"languages": ", ".join(spoken)}
        )
    elif needs.languages:
        missing.append(
            _("does not list the dossier's language (%(languages)s)")
            % {"languages": ", ".join(needs.languages)}
        )
    if profile.country and profile.country == needs.country:
        points += COUNTRY
        reasons.append(
            _("works in the provider's country (%(country)s)") % {"country": needs.country}
        )
    if profile.student_on(today):
        if needs.needs_student:
            points += STUDENT_NEEDED
            reasons.append(
                _("student until %(day)s, and the panel still needs a student member")
                % {"day": profile.student_until.isoformat()}
            )
        else:
            reasons.append(_("student until %(day)s") % {"day": profile.student_until.isoformat()})
    elif profile.is_student:
        missing.append(
            _("student status ended on %(day)s") % {"day": profile.student_until.isoformat()}
        )
    years = settings.MCQA_REVIEWER_TRAINING_YEARS
    trained = profile.last_training_on
    if trained and trained > services._years_before(today, years):
        points += TRAINED
        reasons.append(_("trained on %(day)s") % {"day": trained.isoformat()})
    elif trained:
        missing.append(
            ngettext(
                "last trained on %(day)s, more than %(years)s year ago",
                "last trained on %(day)s, more than %(years)s years ago",
                years,
            )
            % {"day": trained.isoformat(), "years": years}
        )
    else:
        missing.append(_("no training recorded"))
    return points, reasons, missing


def panel_candidates(*, application):
    """Every active reviewer not invited to or sitting on `application`'s panel, best fit
    first (ties by username), those with a conflict of interest last.

    Each candidate carries their score, the reasons for it and what they lack in words,
    their conflicts of interest, and the role they would suit (student member while the
    panel needs one and their status is valid, chair while it has none, else member).
    At most eight queries whatever the number of reviewers.
    """
    application = Application.objects.select_related("provider", "course_version").get(
        pk=application.pk
    )
    needs = case_needs(application)
    seated = PanelAssignment.objects.filter(
        application_id=application.pk, state__in=selectors.LIVE_STATES
    ).values("reviewer_id")
    reviewers = list(
        get_user_model()
        .objects.filter(groups__name=Role.REVIEWER, is_active=True)
        .exclude(pk__in=seated)
        .select_related("reviewer_profile")
        .order_by("username")
        .distinct()
    )
    conflicts = services.conflicts_among(reviewers=reviewers, application=application)
    today = timezone.localdate()
    candidates = []
    for reviewer in reviewers:
        profile = getattr(reviewer, "reviewer_profile", None)
        points, reasons, missing = score(profile, needs, today)
        if profile is not None and profile.student_on(today) and needs.needs_student:
            role = PanelAssignment.Role.STUDENT
        elif needs.needs_chair and not (profile and profile.student_on(today)):
            role = PanelAssignment.Role.CHAIR
        else:
            role = PanelAssignment.Role.MEMBER
        candidates.append(
            Candidate(
                reviewer=reviewer,
                profile=profile,
                score=points,
                reasons=reasons,
                missing=missing,
                conflicts=conflicts[reviewer.pk],
                role=role,
            )
        )
    candidates.sort(key=lambda c: (bool(c.conflicts), -c.score, c.reviewer.get_username()))
    return candidates
