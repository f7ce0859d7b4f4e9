"""Request and response shapes of the review API (the contract's JSON field names)."""

from rest_framework import serializers

from core.inputs import NARRATIVE_MAX_LENGTH, TEXT_MAX_LENGTH

from ..models import (
    Finding,
    Judgement,
    PanelAssignment,
    ReviewerJudgement,
    SiteVisit,
    SiteVisitSession,
)


class AssignmentSerializer(serializers.ModelSerializer):
    """A panel seat as its reviewer sees it: `{id, application, role, state, due_date}`
    plus enough of the case (provider, course) to judge a conflict before accepting."""

    application = serializers.IntegerField(source="application_id", read_only=True)
    provider = serializers.IntegerField(source="application.provider_id", read_only=True)
    provider_name = serializers.CharField(source="application.provider.legal_name", read_only=True)
    course_title = serializers.SerializerMethodField()

    class Meta:
        model = PanelAssignment
        fields = [
            "id",
            "application",
            "role",
            "state",
            "due_date",
            "provider",
            "provider_name",
            "course_title",
        ]
        read_only_fields = fields

    def get_course_title(self, obj) -> str | None:
        course = obj.application.course
        return course.title if course is not None else None


class PanelSeatSerializer(serializers.ModelSerializer):
    """A seat of an application's panel: `{id, reviewer (username), role, state, due_date}`."""

    reviewer = serializers.CharField(source="reviewer.username", read_only=True)
    application = serializers.IntegerField(source="application_id", read_only=True)

    class Meta:
        model = PanelAssignment
        fields = ["id", "application", "reviewer", "role", "state", "due_date"]
        read_only_fields = fields


class PanelAssignRequest(serializers.Serializer):
    reviewer = serializers.CharField(help_text="The reviewer's username.")
    role = serializers.ChoiceField(choices=PanelAssignment.Role.choices)
    override_justification = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=TEXT_MAX_LENGTH,
        help_text="Required to assign despite a conflict of interest; logged.",
    )


class ReplaceRequest(serializers.Serializer):
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=TEXT_MAX_LENGTH
    )
    reviewer = serializers.CharField(
        required=False, help_text="Username of the reviewer who takes the seat (same role)."
    )
    override_justification = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=TEXT_MAX_LENGTH
    )


class ReplaceResponse(serializers.Serializer):
    replaced = PanelSeatSerializer()
    replacement = PanelSeatSerializer(allow_null=True)


class AcceptRequest(serializers.Serializer):
    no_conflict = serializers.BooleanField(
        help_text="Must be true: you declare that you have no conflict of interest."
    )


class DeclineRequest(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, max_length=TEXT_MAX_LENGTH)


class JudgementRequest(serializers.Serializer):
    judgement = serializers.CharField(help_text=f"One of: {', '.join(Judgement.values)}.")
    rationale = serializers.CharField(allow_blank=True, max_length=NARRATIVE_MAX_LENGTH)


class FindingRequest(JudgementRequest):
    recommendations = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=NARRATIVE_MAX_LENGTH
    )


class JudgementSerializer(serializers.ModelSerializer):
    assignment = serializers.IntegerField(source="assignment_id", read_only=True)
    standard = serializers.CharField(source="standard.code", read_only=True)

    class Meta:
        model = ReviewerJudgement
        fields = ["id", "assignment", "standard", "judgement", "rationale", "updated_at"]
        read_only_fields = fields


class FindingSerializer(serializers.ModelSerializer):
    application = serializers.IntegerField(source="application_id", read_only=True)
    standard = serializers.CharField(source="standard.code", read_only=True)
    title = serializers.CharField(source="standard.title", read_only=True)
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)

    class Meta:
        model = Finding
        fields = [
            "id",
            "application",
            "standard",
            "title",
            "judgement",
            "rationale",
            "recommendations",
            "recorded_by",
            "updated_at",
        ]
        read_only_fields = fields


class ConflictRequest(serializers.Serializer):
    provider = serializers.IntegerField(min_value=1)
    reason = serializers.CharField(allow_blank=True, max_length=TEXT_MAX_LENGTH)


class ConflictSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    provider = serializers.IntegerField(source="provider_id")
    reason = serializers.CharField()
    declared_at = serializers.DateTimeField()


class SummaryJudgementSerializer(serializers.Serializer):
    reviewer = serializers.CharField()
    role = serializers.CharField()
    judgement = serializers.CharField()
    rationale = serializers.CharField()


class SummaryFindingSerializer(serializers.Serializer):
    judgement = serializers.CharField()
    rationale = serializers.CharField()
    recommendations = serializers.CharField()


class SummaryStandardSerializer(serializers.Serializer):
    standard = serializers.CharField()
    title = serializers.CharField()
    judgements = SummaryJudgementSerializer(many=True)
    counts = serializers.DictField(child=serializers.IntegerField())
    missing = serializers.ListField(child=serializers.CharField())
    finding = SummaryFindingSerializer(allow_null=True)


class SummaryMemberSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reviewer = serializers.CharField()
    role = serializers.CharField()
    state = serializers.CharField()


class PanelSummarySerializer(serializers.Serializer):
    application = serializers.IntegerField()
    panel = SummaryMemberSerializer(many=True)
    standards = SummaryStandardSerializer(many=True)


class ReviewerProfileSerializer(serializers.Serializer):
    """A reviewer's profile: `{reviewer, expertise (ISCED-F codes), expertise_labels,
    country, languages, is_student, student_until, last_training_on}`."""

    reviewer = serializers.CharField(read_only=True, help_text="The reviewer's username.")
    expertise = serializers.ListField(
        child=serializers.CharField(max_length=4),
        max_length=20,
        required=False,
        help_text="Fields of expertise as ISCED-F 2013 codes (broad, narrow or detailed).",
    )
    expertise_labels = serializers.ListField(child=serializers.CharField(), read_only=True)
    country = serializers.CharField(
        max_length=2, allow_blank=True, required=False, help_text="ISO 3166-1 alpha-2."
    )
    languages = serializers.ListField(
        child=serializers.CharField(max_length=3),
        max_length=20,
        required=False,
        help_text="ISO 639-1 codes.",
    )
    is_student = serializers.BooleanField(required=False)
    student_until = serializers.DateField(
        allow_null=True, required=False, help_text="Required while is_student is true."
    )
    last_training_on = serializers.DateField(allow_null=True, required=False)


class CandidateConflictSerializer(serializers.Serializer):
    code = serializers.CharField()
    key = serializers.CharField()
    message = serializers.CharField()


class PanelCandidateSerializer(serializers.Serializer):
    """One candidate for a panel seat, best fit first: the score and its reasons in words,
    what the reviewer lacks, any conflict of interest, and the role they would suit."""

    reviewer = serializers.CharField()
    score = serializers.IntegerField()
    reasons = serializers.ListField(child=serializers.CharField())
    missing = serializers.ListField(child=serializers.CharField())
    conflicts = CandidateConflictSerializer(many=True)
    invitable = serializers.BooleanField()
    suggested_role = serializers.ChoiceField(choices=PanelAssignment.Role.choices)
    expertise = serializers.ListField(child=serializers.CharField())
    expertise_labels = serializers.ListField(child=serializers.CharField())
    is_student = serializers.BooleanField()


class SiteVisitSessionSerializer(serializers.ModelSerializer):
    """One interview of a site visit: `{group, at}`."""

    class Meta:
        model = SiteVisitSession
        fields = ["group", "at"]


class SiteVisitSerializer(serializers.ModelSerializer):
    """A site visit: `{id, application, mode, starts_on, ends_on, sessions: [{group, at}],
    planned_by (username), cancelled_at}`."""

    application = serializers.IntegerField(source="application_id", read_only=True)
    planned_by = serializers.CharField(source="planned_by.username", read_only=True)
    sessions = SiteVisitSessionSerializer(many=True, read_only=True)

    class Meta:
        model = SiteVisit
        fields = [
            "id",
            "application",
            "mode",
            "starts_on",
            "ends_on",
            "sessions",
            "planned_by",
            "cancelled_at",
        ]
        read_only_fields = fields


class SiteVisitRequest(serializers.Serializer):
    """The body of a site visit plan (checked by `reviews.services.site_visit_plan`, which
    names each bad field, e.g. `sessions[1].at`)."""

    mode = serializers.ChoiceField(choices=SiteVisit.Mode.choices)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(help_text="On or after `starts_on`.")
    sessions = SiteVisitSessionSerializer(
        many=True, help_text="At least one; each session takes place during the visit."
    )


class SiteVisitChangeRequest(SiteVisitRequest):
    """The body of a change to a planned visit: any of the plan's fields."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
