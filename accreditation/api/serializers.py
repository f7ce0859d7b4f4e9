"""Shapes of the workflow API's JSON (contract: DESIGN section 4).

Writes are validated by the services (the same rules for the API, the pages and the
admin); the input serializers here describe the request bodies for the OpenAPI schema.
"""

from decimal import Decimal

from django.contrib.auth import authenticate
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core import reference
from core.inputs import NARRATIVE_MAX_LENGTH, TEXT_MAX_LENGTH
from core.roles import user_roles

from .. import annex, payloads, services
from ..models import (
    Accreditation,
    AccreditationTransition,
    Application,
    ApplicationTransition,
    Clarification,
    Complaint,
    Condition,
    ConditionAssessment,
    ConditionResponse,
    Course,
    Document,
    Provider,
    ProviderChangeRequest,
    ProviderIdentifier,
    SelfAssessment,
    SuspensionReason,
)
from ..rules import current_decision
from ..services.applications import MAX_EVIDENCE
from . import extensions

# --------------------------------------------------------------------------- auth


class TokenRequestSerializer(serializers.Serializer):
    """The token endpoint's credentials; valid only when they authenticate an active user
    (`validated_data["user"]`). `authenticate` gets the request, so django-axes counts
    the failure against the username and the client address."""

    username = serializers.CharField(write_only=True)
    password = serializers.CharField(
        style={"input_type": "password"}, trim_whitespace=False, write_only=True
    )

    def validate(self, attrs):
        user = authenticate(
            request=self.context.get("request"),
            username=attrs["username"],
            password=attrs["password"],
        )
        if user is None:
            raise serializers.ValidationError(
                "Unable to log in with provided credentials.", code="authorization"
            )
        return {"user": user}


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`.")
    expiry = serializers.DateTimeField(help_text="The token stops working at this moment.")


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    provider = serializers.IntegerField(allow_null=True)

    @staticmethod
    def for_user(user):
        membership = user.provider_memberships.order_by("created_at", "id").first()
        return {
            "username": user.get_username(),
            "roles": sorted(user_roles(user)),
            "provider": membership.provider_id if membership else None,
        }


# --------------------------------------------------------------------------- providers


class IdentifierSerializer(serializers.ModelSerializer):
    scheme = serializers.ChoiceField(choices=reference.IDENTIFIER_SCHEMES)

    class Meta:
        model = ProviderIdentifier
        fields = ["scheme", "value"]


class ProviderSerializer(serializers.ModelSerializer):
    identifiers = IdentifierSerializer(many=True, read_only=True)

    class Meta:
        model = Provider
        fields = [
            "id",
            "legal_name",
            "country",
            "type",
            "website",
            "identifiers",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ProviderInputSerializer(serializers.Serializer):
    legal_name = serializers.CharField(max_length=300)
    country = serializers.CharField(max_length=2, help_text="ISO 3166-1 alpha-2")
    type = serializers.ChoiceField(choices=Provider.Type.choices)
    website = serializers.URLField(required=False, allow_blank=True)
    identifiers = IdentifierSerializer(many=True, required=False)


class ChangeRequestSerializer(serializers.ModelSerializer):
    """An identity change request: the requested values (null: not part of the change),
    the values when filed (`previous`), and the coordinator's decision."""

    identifiers = IdentifierSerializer(many=True, read_only=True, allow_null=True)

    class Meta:
        model = ProviderChangeRequest
        fields = [
            "id",
            "provider",
            "status",
            "legal_name",
            "country",
            "identifiers",
            "previous",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "comment",
        ]
        read_only_fields = fields


class ChangeRequestInputSerializer(serializers.Serializer):
    legal_name = serializers.CharField(max_length=300, required=False)
    country = serializers.CharField(max_length=2, required=False, help_text="ISO 3166-1 alpha-2")
    identifiers = IdentifierSerializer(
        many=True, required=False, help_text="replaces the whole list when given"
    )


class ChangeRequestDecisionSerializer(serializers.Serializer):
    comment = serializers.CharField(
        required=False, allow_blank=True, help_text="required to reject: why"
    )


# --------------------------------------------------------------------------- courses

_COURSE_FIELDS = ["provider", *services.COURSE_FIELDS]


class CourseSerializer(serializers.ModelSerializer):
    learning_outcomes = serializers.ListField(child=serializers.CharField())
    languages = serializers.ListField(child=serializers.CharField())
    # Not given yet is "" (a course is described step by step), so the enum includes it.
    participation_form = serializers.ChoiceField(
        choices=Course.ParticipationForm.choices, allow_blank=True, read_only=True
    )
    supervision_identity_verification = serializers.ChoiceField(
        choices=annex.SUPERVISION_CHOICES, allow_null=True, read_only=True
    )

    class Meta:
        model = Course
        fields = ["id", "uid", *_COURSE_FIELDS, "created_at", "updated_at"]
        read_only_fields = fields


class CourseInputSerializer(serializers.Serializer):
    provider = serializers.IntegerField(min_value=1)
    title = serializers.CharField(max_length=300)
    learning_outcomes = serializers.ListField(
        child=serializers.CharField(max_length=TEXT_MAX_LENGTH), min_length=1, required=False
    )
    workload_ects = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        allow_null=True,
        help_text="ECTS wherever possible; give either this or workload_hours",
    )
    workload_hours = serializers.DecimalField(
        max_digits=7,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        allow_null=True,
        help_text="the notional workload in hours, only when ECTS do not apply",
    )
    level_not_applicable = serializers.BooleanField(
        required=False,
        help_text="true: no EQF level or QF-EHEA cycle applies (both must then be null); "
        "false: the level is required to submit",
    )
    eqf_level = serializers.IntegerField(min_value=1, max_value=8, required=False, allow_null=True)
    qf_ehea_cycle = serializers.ChoiceField(
        choices=Course.QfEhea.choices, required=False, allow_null=True
    )
    isced_f = serializers.CharField(max_length=4, required=False, allow_blank=True)
    assessment_type = serializers.CharField(
        required=False, allow_blank=True, max_length=TEXT_MAX_LENGTH
    )
    participation_form = serializers.ChoiceField(
        choices=Course.ParticipationForm.choices, required=False, allow_blank=True
    )
    quality_assurance = serializers.CharField(
        required=False, allow_blank=True, max_length=TEXT_MAX_LENGTH
    )
    languages = serializers.ListField(child=serializers.CharField(), required=False)
    prerequisites = serializers.CharField(
        required=False, allow_blank=True, max_length=TEXT_MAX_LENGTH
    )
    supervision_identity_verification = serializers.ChoiceField(
        choices=annex.SUPERVISION_CHOICES, required=False, allow_null=True
    )
    grading = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX_LENGTH)
    stackability = serializers.CharField(
        required=False, allow_blank=True, max_length=TEXT_MAX_LENGTH
    )
    further_information = serializers.CharField(
        required=False, allow_blank=True, max_length=TEXT_MAX_LENGTH
    )


class CoursePatchSerializer(CourseInputSerializer):
    provider = serializers.IntegerField(required=False)
    title = serializers.CharField(max_length=300, required=False)


# --------------------------------------------------------------------------- applications


class FrameworkRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    version = serializers.CharField()
    title = serializers.CharField()


class StandardRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()


class ApplicationCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Application.Kind.choices)
    provider = serializers.IntegerField(min_value=1)
    course = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    framework = serializers.CharField(
        required=False, allow_null=True, help_text="framework code; its newest version is used"
    )
    previous = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text="renewal: the application it continues",
    )


class ApplicationListSerializer(serializers.ModelSerializer):
    framework = FrameworkRefSerializer(read_only=True)

    class Meta:
        model = Application
        fields = [
            "id",
            "kind",
            "provider",
            "course",
            "state",
            "framework",
            "due_at",
            "submitted_at",
            "decided_at",
            "created_at",
        ]
        read_only_fields = fields


class DocumentSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()
    original_name = serializers.CharField(source="display_name", read_only=True)

    class Meta:
        model = Document
        fields = [
            "id",
            "kind",
            "sha256",
            "size",
            "content_type",
            "original_name",
            "uploaded_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, document) -> str:
        return reverse("api-document-download", args=[document.pk])


class DocumentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="a PDF")
    kind = serializers.ChoiceField(choices=Document.Kind.choices)


class SelfAssessmentSerializer(serializers.ModelSerializer):
    standard = serializers.CharField(source="standard.code", read_only=True)
    evidence = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = SelfAssessment
        fields = ["standard", "narrative", "evidence", "updated_at"]
        read_only_fields = fields


class SelfAssessmentInputSerializer(serializers.Serializer):
    narrative = serializers.CharField(max_length=NARRATIVE_MAX_LENGTH)
    evidence = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, max_length=MAX_EVIDENCE
    )


class ClarificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Clarification
        fields = ["id", "question", "asked_at", "answer", "answered_at"]
        read_only_fields = fields


class DecisionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    outcome = serializers.CharField()
    rationale = serializers.CharField()
    valid_from = serializers.DateField(allow_null=True)
    valid_until = serializers.DateField(allow_null=True)
    decided_at = serializers.DateTimeField()


class ApplicationDetailSerializer(ApplicationListSerializer):
    standards = serializers.SerializerMethodField()
    available_transitions = serializers.SerializerMethodField()
    documents = DocumentSerializer(many=True, read_only=True)
    self_assessments = SelfAssessmentSerializer(many=True, read_only=True)
    clarifications = ClarificationSerializer(many=True, read_only=True)
    decision = serializers.SerializerMethodField()
    accreditation = serializers.SerializerMethodField()
    panel = serializers.SerializerMethodField()
    reports = serializers.SerializerMethodField()

    class Meta(ApplicationListSerializer.Meta):
        fields = [
            *ApplicationListSerializer.Meta.fields,
            "previous",
            "standards",
            "available_transitions",
            "documents",
            "self_assessments",
            "clarifications",
            "panel",
            "reports",
            "decision",
            "accreditation",
        ]
        read_only_fields = fields

    @extend_schema_field(StandardRefSerializer(many=True))
    def get_standards(self, application):
        return [{"code": s.code, "title": s.title} for s in application.framework.standards.all()]

    def get_available_transitions(self, application) -> list[str]:
        return services.available_transitions(
            application=application, actor=self.context["request"].user
        )

    @extend_schema_field(DecisionSerializer(allow_null=True))
    def get_decision(self, application):
        decision = current_decision(application)
        if decision is None:
            return None
        return DecisionSerializer(decision).data

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_accreditation(self, application):
        accreditation = (
            Accreditation.objects.filter(application=application)
            .order_by("-created_at", "-id")
            .values_list("pk", flat=True)
            .first()
        )
        return accreditation

    @extend_schema_field({"type": "array", "items": {"type": "object"}})
    def get_panel(self, application):
        return self._extra(application)["panel"]

    @extend_schema_field(
        {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "stage": {"type": "string"},
                    "version": {"type": "integer"},
                    "status": {"type": "string"},
                },
            },
        }
    )
    def get_reports(self, application):
        return self._extra(application)["reports"]

    def _extra(self, application):
        cache = self.context.setdefault("_extra", {})
        if application.pk not in cache:
            cache[application.pk] = extensions.extra_fields(
                application, self.context.get("request")
            )
        return cache[application.pk]

    def to_representation(self, application):
        data = super().to_representation(application)
        for name, value in self._extra(application).items():
            data.setdefault(name, value)
        return data


class ConditionInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=TEXT_MAX_LENGTH)
    due_date = serializers.DateField()


class TransitionInputSerializer(serializers.Serializer):
    """The fields transitions read; each transition uses the ones it needs. Any other field
    is refused (400), texts are at most 5,000 characters, accreditation limits are EQF
    levels 1..8 and ISCED-F 2013 codes of the reference data."""

    comment = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX_LENGTH)
    answer = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX_LENGTH)
    rationale = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX_LENGTH)
    grounds = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX_LENGTH)
    valid_until = serializers.DateField(required=False)
    conditions = serializers.ListField(
        child=ConditionInputSerializer(),
        required=False,
        max_length=payloads.MAX_CONDITIONS,
        help_text="[{text, due_date}]",
    )
    documents = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        max_length=payloads.MAX_DOCUMENTS,
    )
    eqf_levels = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=8), required=False
    )
    isced_fields = serializers.ListField(
        child=serializers.CharField(max_length=4, help_text="an ISCED-F 2013 code, e.g. 0613"),
        required=False,
        max_length=payloads.MAX_ISCED_FIELDS,
    )


class ScreeningItemSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="element:<Annex I element> or document:<kind>")
    label = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(
        choices=["", "ok", "missing", "insufficient"], help_text='"" when not checked yet'
    )
    note = serializers.CharField(allow_blank=True, max_length=1000)


class ScreeningChecklistSerializer(serializers.Serializer):
    items = ScreeningItemSerializer(many=True)
    comment = serializers.CharField(
        read_only=True, help_text="the return_for_completion comment the flagged items build"
    )


class ScreeningChecklistInputSerializer(serializers.Serializer):
    items = serializers.DictField(
        child=serializers.DictField(),
        help_text='{"<item code>": {"status", "note"}}; items not given are kept as they are',
    )


class TransitionLogSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_name", read_only=True)

    class Meta:
        model = ApplicationTransition
        fields = ["transition", "from_state", "to_state", "actor", "at", "comment"]
        read_only_fields = fields


class WorkflowUnmetSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class WorkflowErrorSerializer(serializers.Serializer):
    """An error: `detail` (with `unmet` for a failed guard), or for invalid input one
    entry per field naming what is wrong (`{"field": ["message", ...]}`)."""

    detail = serializers.CharField(required=False)
    unmet = WorkflowUnmetSerializer(many=True, required=False)
    code = serializers.CharField(required=False)


# --------------------------------------------------------------------------- accreditations


class ConditionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Condition
        fields = ["id", "text", "due_date", "status", "met_at"]
        read_only_fields = fields


class AccreditationLogSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_name", read_only=True)

    class Meta:
        model = AccreditationTransition
        fields = ["transition", "from_state", "to_state", "actor", "at", "comment"]
        read_only_fields = fields


class AccreditationSerializer(serializers.ModelSerializer):
    scope = serializers.SerializerMethodField()
    conditions = ConditionSerializer(many=True, read_only=True)

    class Meta:
        model = Accreditation
        fields = [
            "id",
            "provider",
            "course",
            "application",
            "scope",
            "outcome",
            "status",
            "valid_from",
            "valid_until",
            "eqf_levels",
            "isced_fields",
            "conditions",
        ]
        read_only_fields = fields

    @extend_schema_field({"oneOf": [{"type": "string", "enum": ["provider"]}, {"type": "integer"}]})
    def get_scope(self, accreditation):
        return accreditation.scope


class AccreditationDetailSerializer(AccreditationSerializer):
    history = AccreditationLogSerializer(source="transitions", many=True, read_only=True)
    available_transitions = serializers.SerializerMethodField()

    class Meta(AccreditationSerializer.Meta):
        fields = [*AccreditationSerializer.Meta.fields, "history", "available_transitions"]
        read_only_fields = fields

    def get_available_transitions(self, accreditation) -> list[str]:
        return services.available_accreditation_transitions(
            accreditation=accreditation, actor=self.context["request"].user
        )


class AccreditationTransitionInputSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX_LENGTH)
    reason = serializers.ChoiceField(choices=SuspensionReason.choices, required=False)


class ConditionDocumentSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name", read_only=True)

    class Meta:
        model = Document
        fields = ["id", "name", "sha256", "size", "content_type"]
        read_only_fields = fields


class ConditionResponseSerializer(serializers.ModelSerializer):
    submitted_by = serializers.CharField(source="submitted_by.username", read_only=True)
    documents = ConditionDocumentSerializer(many=True, read_only=True)

    class Meta:
        model = ConditionResponse
        fields = ["id", "text", "documents", "submitted_by", "submitted_at"]
        read_only_fields = fields


class ConditionAssessmentSerializer(serializers.ModelSerializer):
    assessed_by = serializers.CharField(source="assessed_by.username", read_only=True)

    class Meta:
        model = ConditionAssessment
        fields = ["id", "met", "comment", "response", "assessed_by", "assessed_at"]
        read_only_fields = fields


class ConditionDetailSerializer(ConditionSerializer):
    """One condition with its follow-up: the provider's answers and the decision body's
    assessments (oldest first), the accreditation's outcome and status, and what the
    caller may do now (`respond`, `assess`)."""

    responses = ConditionResponseSerializer(many=True, read_only=True)
    assessments = ConditionAssessmentSerializer(many=True, read_only=True)
    outcome = serializers.CharField(source="accreditation.outcome", read_only=True)
    accreditation_status = serializers.CharField(source="accreditation.status", read_only=True)
    available_actions = serializers.SerializerMethodField()

    class Meta(ConditionSerializer.Meta):
        fields = [
            "id",
            "accreditation",
            "text",
            "due_date",
            "status",
            "met_at",
            "outcome",
            "accreditation_status",
            "responses",
            "assessments",
            "available_actions",
        ]
        read_only_fields = fields

    def get_available_actions(self, condition) -> list[str]:
        return self.context.get("actions", [])


class ConditionResponseInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=TEXT_MAX_LENGTH)
    files = serializers.ListField(
        child=serializers.FileField(), required=False, help_text="PDFs (multipart only)"
    )


class ConditionAssessInputSerializer(serializers.Serializer):
    met = serializers.BooleanField()
    comment = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=TEXT_MAX_LENGTH,
        help_text="required when met is false: what is still missing",
    )


# --------------------------------------------------------------------------- complaints


class ComplaintInputSerializer(serializers.Serializer):
    application = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    text = serializers.CharField(max_length=TEXT_MAX_LENGTH)


class ComplaintSerializer(serializers.ModelSerializer):
    class Meta:
        model = Complaint
        fields = ["id", "application", "text", "status", "lodged_at"]
        read_only_fields = fields


# The name other apps import (reviews' API answers with the same error shape).
ErrorSerializer = WorkflowErrorSerializer
UnmetSerializer = WorkflowUnmetSerializer
