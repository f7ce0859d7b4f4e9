"""HTTP API of the review stage. Views translate HTTP to service calls and back; the rules
live in `reviews.services` and what a caller may see in the selectors. Objects a caller may
not see answer 404: an application unless it is visible to them (a reviewer sees it only
after accepting a seat), a seat unless it is their own."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.response import Response

from accreditation.api.serializers import ErrorSerializer
from accreditation.models import Provider
from accreditation.selectors import applications_visible_to
from core.errors import NotAllowed, NotVisible
from core.roles import Role, has_role

from .. import candidates, selectors, services
from ..models import ConflictDeclaration, PanelAssignment, ReviewerProfile
from . import serializers as s

ERRORS = {
    400: OpenApiResponse(
        OpenApiTypes.OBJECT,
        description="Invalid input: `{field: [messages]}` naming each bad field, or "
        "`{detail, unmet: [{code, message}]}` listing unmet requirements (e.g. "
        "`conflict_of_interest`).",
    ),
    403: OpenApiResponse(ErrorSerializer, description="The caller sees it but lacks the right."),
    404: OpenApiResponse(ErrorSerializer, description="Not found, or not visible to the caller."),
    409: OpenApiResponse(ErrorSerializer, description="Not possible in the current state."),
}


def _application(request, pk):
    application = (
        applications_visible_to(user=request.user).select_related("provider").filter(pk=pk).first()
    )
    if application is None:
        raise NotVisible()
    return application


def _own_assignment(request, pk):
    assignment = selectors.assignment_of(user=request.user, pk=pk)
    if assignment is None:
        raise NotVisible()
    return assignment


def _reviewer(username):
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise ValidationError({"reviewer": [f"There is no user named {username!r}."]})
    return user


def _valid(serializer_class, request):
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class ApplicationPanelView(GenericAPIView):
    """The panel of one application: everyone who sees the application sees its panel; the
    coordinator invites reviewers to it."""

    serializer_class = s.PanelSeatSerializer
    pagination_class = None

    @extend_schema(responses={200: s.PanelSeatSerializer(many=True), 404: ERRORS[404]})
    def get(self, request, pk):
        application = _application(request, pk)
        seats = selectors.panel_of(application)
        return Response(s.PanelSeatSerializer(seats, many=True).data)

    @extend_schema(
        request=s.PanelAssignRequest,
        responses={201: s.PanelSeatSerializer, **ERRORS},
        description="Invite a reviewer (coordinator). A conflict of interest answers 400 with "
        "code `conflict_of_interest` unless `override_justification` is given (logged).",
    )
    def post(self, request, pk):
        application = _application(request, pk)
        if not has_role(request.user, Role.COORDINATOR):
            raise NotAllowed("Only a coordinator composes the panel.")
        data = _valid(s.PanelAssignRequest, request)
        assignment = services.panel_member_assign(
            application=application,
            reviewer=_reviewer(data["reviewer"]),
            role=data["role"],
            actor=request.user,
            override_justification=data.get("override_justification", ""),
        )
        return Response(s.PanelSeatSerializer(assignment).data, status=status.HTTP_201_CREATED)


class PanelSummaryView(GenericAPIView):
    """Who judged what, per standard, for the chair and the coordinator."""

    serializer_class = s.PanelSummarySerializer
    pagination_class = None

    @extend_schema(responses={200: s.PanelSummarySerializer, 403: ERRORS[403], 404: ERRORS[404]})
    def get(self, request, pk):
        application = _application(request, pk)
        if not selectors.may_read_summary(request.user, application):
            raise NotAllowed("The panel summary is for the panel chair and the coordinator.")
        return Response(services.panel_summary(application=application))


class FindingListView(GenericAPIView):
    """The panel's consolidated findings on one application."""

    serializer_class = s.FindingSerializer
    pagination_class = None

    @extend_schema(
        responses={200: s.FindingSerializer(many=True), 403: ERRORS[403], 404: ERRORS[404]}
    )
    def get(self, request, pk):
        application = _application(request, pk)
        if not selectors.may_read_findings(request.user, application):
            raise NotAllowed("The findings are shared with the provider with the draft report.")
        findings = selectors.findings_of(application)
        return Response(s.FindingSerializer(findings, many=True).data)


class FindingView(GenericAPIView):
    serializer_class = s.FindingSerializer

    @extend_schema(
        request=s.FindingRequest,
        responses={200: s.FindingSerializer, 201: s.FindingSerializer, **ERRORS},
        description="Record the panel's finding on a standard (panel chair); 201 when new.",
    )
    def put(self, request, pk, standard_code):
        application = _application(request, pk)
        data = _valid(s.FindingRequest, request)
        finding, created = services.finding_put(
            application=application,
            standard_code=standard_code,
            actor=request.user,
            judgement=data["judgement"],
            rationale=data["rationale"],
            recommendations=data.get("recommendations", ""),
        )
        return Response(
            s.FindingSerializer(finding).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class AssignmentListView(ListAPIView):
    """The caller's own panel seats (a page with `results`)."""

    serializer_class = s.AssignmentSerializer

    def get_queryset(self):
        return selectors.assignments_for(user=self.request.user)


class AssignmentDetailView(GenericAPIView):
    serializer_class = s.AssignmentSerializer

    @extend_schema(responses={200: s.AssignmentSerializer, 404: ERRORS[404]})
    def get(self, request, pk):
        return Response(s.AssignmentSerializer(_own_assignment(request, pk)).data)


class AssignmentAcceptView(GenericAPIView):
    serializer_class = s.AssignmentSerializer

    @extend_schema(
        request=s.AcceptRequest,
        responses={200: s.AssignmentSerializer, **ERRORS},
        description="Accept the seat, declaring no conflict of interest (`no_conflict: true`).",
    )
    def post(self, request, pk):
        assignment = _own_assignment(request, pk)
        data = _valid(s.AcceptRequest, request)
        accepted = services.assignment_accept(
            assignment=assignment, actor=request.user, no_conflict=data["no_conflict"]
        )
        return Response(s.AssignmentSerializer(accepted).data)


class AssignmentDeclineView(GenericAPIView):
    serializer_class = s.AssignmentSerializer

    @extend_schema(request=s.DeclineRequest, responses={200: s.AssignmentSerializer, **ERRORS})
    def post(self, request, pk):
        assignment = _own_assignment(request, pk)
        data = _valid(s.DeclineRequest, request)
        declined = services.assignment_decline(
            assignment=assignment, actor=request.user, reason=data["reason"]
        )
        return Response(s.AssignmentSerializer(declined).data)


class AssignmentReplaceView(GenericAPIView):
    """The coordinator takes a seat back from a silent or unavailable reviewer and may give
    the same role to another reviewer at once."""

    serializer_class = s.ReplaceResponse

    @extend_schema(request=s.ReplaceRequest, responses={200: s.ReplaceResponse, **ERRORS})
    def post(self, request, pk):
        assignment = (
            PanelAssignment.objects.select_related("application")
            .filter(pk=pk, application__in=applications_visible_to(user=request.user))
            .first()
        )
        if assignment is None:
            raise NotVisible()
        if not has_role(request.user, Role.COORDINATOR):
            raise NotAllowed("Only a coordinator replaces panel members.")
        data = _valid(s.ReplaceRequest, request)
        reviewer = _reviewer(data["reviewer"]) if data.get("reviewer") else None
        replaced, replacement = services.assignment_replace(
            assignment=assignment,
            actor=request.user,
            reason=data.get("reason", ""),
            reviewer=reviewer,
            override_justification=data.get("override_justification", ""),
        )
        return Response(
            {
                "replaced": s.PanelSeatSerializer(replaced).data,
                "replacement": s.PanelSeatSerializer(replacement).data if replacement else None,
            }
        )


class JudgementListView(GenericAPIView):
    """The caller's own judgements on one seat."""

    serializer_class = s.JudgementSerializer
    pagination_class = None

    @extend_schema(responses={200: s.JudgementSerializer(many=True), 404: ERRORS[404]})
    def get(self, request, pk):
        assignment = _own_assignment(request, pk)
        return Response(s.JudgementSerializer(selectors.judgements_of(assignment), many=True).data)


class JudgementView(GenericAPIView):
    serializer_class = s.JudgementSerializer

    @extend_schema(
        request=s.JudgementRequest,
        responses={200: s.JudgementSerializer, 201: s.JudgementSerializer, **ERRORS},
        description="Record the caller's judgement of a standard (accepted panel member); "
        "201 when new.",
    )
    def put(self, request, pk, standard_code):
        assignment = _own_assignment(request, pk)
        data = _valid(s.JudgementRequest, request)
        judgement, created = services.judgement_put(
            assignment=assignment,
            standard_code=standard_code,
            actor=request.user,
            judgement=data["judgement"],
            rationale=data["rationale"],
        )
        return Response(
            s.JudgementSerializer(judgement).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class ConflictListView(GenericAPIView):
    """A reviewer's own conflict-of-interest declarations; a reviewer declares a new one."""

    serializer_class = s.ConflictSerializer
    pagination_class = None

    @extend_schema(responses={200: s.ConflictSerializer(many=True)})
    def get(self, request):
        declarations = ConflictDeclaration.objects.filter(reviewer=request.user).order_by(
            "-declared_at", "-id"
        )
        return Response(s.ConflictSerializer(declarations, many=True).data)

    @extend_schema(
        request=s.ConflictRequest,
        responses={201: s.ConflictSerializer, 400: ERRORS[400], 403: ERRORS[403]},
    )
    def post(self, request):
        data = _valid(s.ConflictRequest, request)
        provider = Provider.objects.filter(pk=data["provider"]).first()
        if provider is None:
            raise ValidationError({"provider": ["There is no such provider."]})
        declaration = services.conflict_declare(
            reviewer=request.user, provider=provider, reason=data["reason"]
        )
        return Response(s.ConflictSerializer(declaration).data, status=status.HTTP_201_CREATED)


# --------------------------------------------------------------------------- profiles


def _profile_payload(reviewer, profile):
    profile = profile or ReviewerProfile(reviewer=reviewer)
    return {
        "reviewer": reviewer.get_username(),
        "expertise": profile.expertise,
        "expertise_labels": candidates.expertise_labels(profile.expertise),
        "country": profile.country,
        "languages": profile.languages,
        "is_student": profile.is_student,
        "student_until": profile.student_until,
        "last_training_on": profile.last_training_on,
    }


class OwnProfileView(GenericAPIView):
    """The caller's own reviewer profile; only reviewers have one (403 for others)."""

    serializer_class = s.ReviewerProfileSerializer
    pagination_class = None

    def _reviewer(self, request):
        if not has_role(request.user, Role.REVIEWER):
            raise NotAllowed("Only reviewers keep a reviewer profile.")
        return request.user

    @extend_schema(responses={200: s.ReviewerProfileSerializer, 403: ERRORS[403]})
    def get(self, request):
        reviewer = self._reviewer(request)
        profile = ReviewerProfile.objects.filter(reviewer=reviewer).first()
        return Response(s.ReviewerProfileSerializer(_profile_payload(reviewer, profile)).data)

    @extend_schema(
        request=s.ReviewerProfileSerializer,
        responses={200: s.ReviewerProfileSerializer, 400: ERRORS[400], 403: ERRORS[403]},
        description="Change any of the fields; the others stay. Codes are checked against "
        "ISCED-F 2013, ISO 3166-1 and ISO 639-1 (400 naming the field).",
    )
    def patch(self, request):
        reviewer = self._reviewer(request)
        serializer = s.ReviewerProfileSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        profile = services.reviewer_profile_update(
            reviewer=reviewer, actor=request.user, changes=dict(serializer.validated_data)
        )
        return Response(s.ReviewerProfileSerializer(_profile_payload(reviewer, profile)).data)


class ReviewerProfileView(GenericAPIView):
    """A reviewer's profile as the coordinator (who composes panels) reads it; a reviewer
    reads their own here too. Anybody else: 404, as for a reviewer that does not exist."""

    serializer_class = s.ReviewerProfileSerializer
    pagination_class = None

    @extend_schema(responses={200: s.ReviewerProfileSerializer, 404: ERRORS[404]})
    def get(self, request, pk):
        if not (has_role(request.user, Role.COORDINATOR) or request.user.pk == pk):
            raise NotVisible()
        reviewer = (
            get_user_model()
            .objects.filter(pk=pk, groups__name=Role.REVIEWER)
            .select_related("reviewer_profile")
            .first()
        )
        if reviewer is None:
            raise NotVisible()
        profile = getattr(reviewer, "reviewer_profile", None)
        return Response(s.ReviewerProfileSerializer(_profile_payload(reviewer, profile)).data)


class PanelCandidatesView(GenericAPIView):
    """The reviewers the coordinator may invite to this panel, best fit first, with the
    reasons for the fit and any conflict of interest (shown before inviting)."""

    serializer_class = s.PanelCandidateSerializer
    pagination_class = None

    @extend_schema(
        responses={200: s.PanelCandidateSerializer(many=True), 403: ERRORS[403], 404: ERRORS[404]}
    )
    def get(self, request, pk):
        application = _application(request, pk)
        if not has_role(request.user, Role.COORDINATOR):
            raise NotAllowed("Only a coordinator composes the panel.")
        rows = [
            {
                "reviewer": c.reviewer.get_username(),
                "score": c.score,
                "reasons": c.reasons,
                "missing": c.missing,
                "conflicts": [
                    {"code": "conflict_of_interest", "key": x.key, "message": x.reason}
                    for x in c.conflicts
                ],
                "invitable": c.invitable,
                "suggested_role": c.role,
                "expertise": c.profile.expertise if c.profile else [],
                "expertise_labels": c.expertise_labels,
                "is_student": bool(c.profile and c.profile.is_student),
            }
            for c in candidates.panel_candidates(application=application)
        ]
        return Response(s.PanelCandidateSerializer(rows, many=True).data)


class SiteVisitListView(GenericAPIView):
    """The site visits of one application: everyone who sees the application sees them; the
    panel chair or a coordinator plans one."""

    serializer_class = s.SiteVisitSerializer
    pagination_class = None

    @extend_schema(responses={200: s.SiteVisitSerializer(many=True), 404: ERRORS[404]})
    def get(self, request, pk):
        application = _application(request, pk)
        return Response(
            s.SiteVisitSerializer(selectors.site_visits_of(application), many=True).data
        )

    @extend_schema(
        request=s.SiteVisitRequest,
        responses={201: s.SiteVisitSerializer, **ERRORS},
        description="Plan a site visit (panel chair or coordinator, from screening until the "
        "draft report). 400 names each bad field (`mode`, `ends_on`, `sessions[0].at` ...).",
    )
    def post(self, request, pk):
        application = _application(request, pk)
        visit = services.site_visit_plan(
            application=application, actor=request.user, data=request.data
        )
        visit = selectors.site_visit_of(application, visit.pk)
        return Response(s.SiteVisitSerializer(visit).data, status=status.HTTP_201_CREATED)


class SiteVisitDetailView(GenericAPIView):
    """One site visit; `PATCH` changes it and `DELETE` cancels it before it begins (a
    cancelled visit stays in the record)."""

    serializer_class = s.SiteVisitSerializer
    pagination_class = None

    @extend_schema(responses={200: s.SiteVisitSerializer, 404: ERRORS[404]})
    def get(self, request, pk, visit_pk):
        return Response(s.SiteVisitSerializer(_site_visit(request, pk, visit_pk)).data)

    @extend_schema(
        request=s.SiteVisitChangeRequest,
        responses={200: s.SiteVisitSerializer, **ERRORS},
        description="Change a visit that has not begun (panel chair or coordinator): any of "
        "its fields; given `sessions` replace the old ones. 400 names each bad field.",
    )
    def patch(self, request, pk, visit_pk):
        visit = _site_visit(request, pk, visit_pk)
        services.site_visit_change(visit=visit, actor=request.user, data=request.data)
        return Response(
            s.SiteVisitSerializer(selectors.site_visit_of(visit.application, visit.pk)).data
        )

    @extend_schema(
        responses={
            200: s.SiteVisitSerializer,
            403: ERRORS[403],
            404: ERRORS[404],
            409: ERRORS[409],
        },
        description="Cancel a visit that has not begun (panel chair or coordinator).",
    )
    def delete(self, request, pk, visit_pk):
        visit = _site_visit(request, pk, visit_pk)
        services.site_visit_cancel(visit=visit, actor=request.user)
        return Response(
            s.SiteVisitSerializer(selectors.site_visit_of(visit.application, visit.pk)).data
        )


def _site_visit(request, pk, visit_pk):
    application = _application(request, pk)
    visit = selectors.site_visit_of(application, visit_pk)
    if visit is None:
        raise NotVisible()
    return visit
