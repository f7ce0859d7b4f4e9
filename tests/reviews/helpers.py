"""Helpers of the review tests: reviewers, complete judgements and findings (ready
reports come from `demo.scenario.ready_report`)."""

from reviews import services
from reviews.models import Judgement, PanelAssignment
from tests.factories import UserFactory


def make_reviewer(username=None, **kwargs):
    if username:
        kwargs["username"] = username
    kwargs.setdefault("roles", ["reviewer"])
    return UserFactory(**kwargs)


def judge_everything(assignment, judgement=Judgement.COMPLIANT):
    for standard in assignment.application.framework.standards.all():
        services.judgement_put(
            assignment=assignment,
            standard_code=standard.code,
            actor=assignment.reviewer,
            judgement=judgement,
            rationale=f"{assignment.reviewer.username} on {standard.code}",
        )


def record_every_finding(application, chair, judgement=Judgement.COMPLIANT):
    for standard in application.framework.standards.all():
        services.finding_put(
            application=application,
            standard_code=standard.code,
            actor=chair,
            judgement=judgement,
            rationale=f"The panel on {standard.code}",
            recommendations="Keep it up.",
        )


def seat(application, user):
    return PanelAssignment.objects.get(
        application=application, reviewer=user, state__in=["invited", "accepted", "completed"]
    )
