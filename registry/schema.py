"""OpenAPI descriptions of the public registry's answers (documentation only: the views
build their JSON directly from the projection, which keeps them fast)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers


class IdentifierSchema(serializers.Serializer):
    scheme = serializers.CharField()
    value = serializers.CharField()


class ReportLinkSchema(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.URLField()
    sha256 = serializers.CharField()
    language = serializers.CharField(
        required=False, help_text="The language the report is written in (ISO 639-1, e.g. de)."
    )


class ConditionSchema(serializers.Serializer):
    text = serializers.CharField()
    due_date = serializers.DateField()
    status = serializers.CharField()


class AccreditationSchema(serializers.Serializer):
    id = serializers.IntegerField()
    scope = serializers.JSONField(help_text='"provider" or the course id')
    decision = serializers.ChoiceField(["positive", "positive_with_conditions", "negative"])
    status = serializers.ChoiceField(["active", "suspended", "revoked", "expired", "annulled"])
    valid_from = serializers.DateField()
    valid_until = serializers.DateField()
    eqf_levels = serializers.ListField(child=serializers.IntegerField())
    isced_fields = serializers.ListField(child=serializers.CharField())
    conditions = ConditionSchema(many=True)
    report = ReportLinkSchema(allow_null=True)


class ProviderRefSchema(serializers.Serializer):
    id = serializers.IntegerField()
    legal_name = serializers.CharField()
    country = serializers.CharField()
    identifiers = IdentifierSchema(many=True)


class VerifyQuerySchema(serializers.Serializer):
    """The question as asked (echoed so a signed answer says what it answers)."""

    identifier = serializers.CharField()
    course = serializers.CharField(allow_null=True)
    at = serializers.CharField(allow_null=True)


class IssuerSchema(serializers.Serializer):
    """The agency that answers; `id` is its did:web identifier."""

    id = serializers.CharField()
    name = serializers.CharField()


class VerifySchema(serializers.Serializer):
    trusted = serializers.BooleanField()
    status = serializers.ChoiceField(
        ["active", "suspended", "revoked", "expired", "annulled", "none"]
    )
    provider = ProviderRefSchema(allow_null=True)
    accreditation = AccreditationSchema(allow_null=True)
    as_of = serializers.DateTimeField()
    checked_at = serializers.DateTimeField()
    query = VerifyQuerySchema()
    issuer = IssuerSchema()


class ProviderItemSchema(ProviderRefSchema):
    status = serializers.CharField()
    eqf_levels = serializers.ListField(child=serializers.IntegerField())
    isced_fields = serializers.ListField(child=serializers.CharField())
    url = serializers.CharField()


class ProviderPageSchema(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ProviderItemSchema(many=True)


class DecisionSchema(serializers.Serializer):
    application = serializers.IntegerField()
    scope = serializers.JSONField()
    decision = serializers.CharField()
    decided_at = serializers.DateTimeField()
    annulled = serializers.BooleanField()
    report = ReportLinkSchema(allow_null=True)


class CourseSchema(serializers.Serializer):
    """An approved course as the version its approval approved describes it."""

    id = serializers.IntegerField()
    uid = serializers.UUIDField(help_text="Its public record: /registry/courses/{uid}/")
    version = serializers.IntegerField(allow_null=True)
    title = serializers.CharField()
    eqf_level = serializers.IntegerField(allow_null=True)
    isced_f = serializers.CharField(allow_null=True)
    status = serializers.CharField()
    accreditation = serializers.IntegerField()


class ProviderDetailSchema(ProviderRefSchema):
    type = serializers.CharField()
    website = serializers.CharField()
    status = serializers.CharField()
    eqf_levels = serializers.ListField(child=serializers.IntegerField())
    isced_fields = serializers.ListField(child=serializers.CharField())
    accreditations = AccreditationSchema(many=True)
    courses = CourseSchema(many=True)
    decisions = DecisionSchema(many=True)
    updated_at = serializers.DateTimeField()


class IdentitySchema(serializers.Serializer):
    legal_name = serializers.CharField()
    country = serializers.CharField()
    identifiers = serializers.ListField(child=serializers.DictField())
    changed = serializers.ListField(
        child=serializers.CharField(), help_text="legal_name, country and/or identifiers"
    )


class AnnexElementSchema(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    mandatory = serializers.BooleanField()
    per_learner = serializers.BooleanField()
    value = serializers.JSONField(
        allow_null=True,
        help_text="The element's value (an object of values for the workload: "
        "workload_ects, workload_hours; and for the level: eqf_level, qf_ehea_cycle, "
        "level_not_applicable)",
    )


class ApprovedVersionSchema(serializers.Serializer):
    number = serializers.IntegerField()
    valid_from = serializers.DateTimeField()
    valid_until = serializers.DateTimeField(allow_null=True)
    title = serializers.CharField()
    eqf_level = serializers.IntegerField(allow_null=True)
    isced_f = serializers.CharField()
    languages = serializers.ListField(child=serializers.CharField())
    annex_i = AnnexElementSchema(many=True)
    learning_specification = serializers.JSONField(
        help_text="The workload and level as an ELM LearningAchievementSpecification: "
        "creditPoint (ECTS) or volumeOfLearning (ISO 8601 duration, when ECTS do not "
        "apply); eqfLevel only when a level applies"
    )


class CourseDecisionSchema(DecisionSchema):
    scope = None
    course_version = serializers.IntegerField(allow_null=True)


class StatusChangeSchema(serializers.Serializer):
    seq = serializers.IntegerField()
    at = serializers.DateTimeField()
    type = serializers.CharField()
    status = serializers.CharField(allow_null=True)
    reason = serializers.CharField(allow_null=True)
    comment = serializers.CharField()


class CourseAccreditationSchema(AccreditationSchema):
    course_version = serializers.IntegerField(allow_null=True)
    history = StatusChangeSchema(many=True)


class VersionItemSchema(serializers.Serializer):
    number = serializers.IntegerField()
    valid_from = serializers.DateTimeField()
    valid_until = serializers.DateTimeField(allow_null=True)
    approved = serializers.BooleanField()


class CourseRecordSchema(serializers.Serializer):
    uid = serializers.UUIDField()
    uri = serializers.URLField(help_text="The course's public URI (its record page)")
    title = serializers.CharField(allow_null=True)
    provider = ProviderRefSchema()
    approved_version = ApprovedVersionSchema(
        allow_null=True, help_text="The version the newest course approval approved, if any"
    )
    decisions = CourseDecisionSchema(many=True)
    accreditations = CourseAccreditationSchema(many=True)
    versions = VersionItemSchema(many=True)


class EventSchema(serializers.Serializer):
    seq = serializers.IntegerField()
    at = serializers.DateTimeField()
    type = serializers.CharField()
    provider = serializers.IntegerField()
    accreditation = serializers.IntegerField(allow_null=True)
    status = serializers.CharField(allow_null=True)
    course = serializers.UUIDField(allow_null=True, help_text="The course's public uid")
    decision = serializers.IntegerField(allow_null=True)
    valid_from = serializers.DateField(allow_null=True)
    valid_until = serializers.DateField(allow_null=True, help_text="Inclusive: the last day")
    reason = serializers.CharField(
        allow_null=True,
        help_text="Why: the reason code of a suspension or revocation; appeal_upheld for "
        "an annulment",
    )
    course_version = serializers.IntegerField(
        allow_null=True, help_text="The number of the course version concerned"
    )
    identity = IdentitySchema(
        required=False,
        help_text="`identity` events only: the provider's identity from this event on",
    )


class ChangesSchema(serializers.Serializer):
    events = EventSchema(many=True)
    next = serializers.IntegerField()


BAD = OpenApiResponse(OpenApiTypes.OBJECT, description="Malformed parameter (named in the body)")
LIMITED = OpenApiResponse(description="Throttled; see Retry-After")

verify_schema = extend_schema(
    operation_id="registry_verify",
    summary="Was this provider (course) trusted at a moment?",
    parameters=[
        OpenApiParameter("identifier", str, required=True, description="<scheme>:<value>"),
        OpenApiParameter("course", str, description="The course's uid (UUID) or its id"),
        OpenApiParameter("at", str, description="ISO 8601 date (end of day UTC) or date-time"),
    ],
    responses={
        (200, "application/json"): VerifySchema,
        (200, "application/jose"): OpenApiResponse(OpenApiTypes.STR, description="Compact JWS"),
        400: BAD,
        429: LIMITED,
    },
)
list_schema = extend_schema(
    operation_id="registry_providers_list",
    parameters=[
        OpenApiParameter("q", str),
        OpenApiParameter("country", str, description="ISO 3166-1 alpha-2"),
        OpenApiParameter(
            "status", str, enum=["active", "suspended", "revoked", "expired", "annulled", "none"]
        ),
        OpenApiParameter("eqf_level", int),
        OpenApiParameter("isced_f", str, description="ISCED-F 2013 code"),
        OpenApiParameter("cursor", str),
        OpenApiParameter("page_size", int),
    ],
    responses={200: ProviderPageSchema, 400: BAD, 429: LIMITED},
)
detail_schema = extend_schema(
    operation_id="registry_providers_detail", responses={200: ProviderDetailSchema, 404: None}
)
course_schema = extend_schema(
    operation_id="registry_course_record",
    summary="A course's public record: approved version, decisions, history, versions",
    responses={200: CourseRecordSchema, 404: None, 429: LIMITED},
)
changes_schema = extend_schema(
    operation_id="registry_changes",
    parameters=[OpenApiParameter("after", int, description="Last seq read (0: from the start)")],
    responses={200: ChangesSchema, 400: BAD, 429: LIMITED},
)


class HistoryEntrySchema(serializers.Serializer):
    at = serializers.DateTimeField()
    type = serializers.CharField()
    status = serializers.CharField(allow_null=True)
    reason = serializers.CharField(allow_null=True)
    comment = serializers.CharField()


class AccreditationProviderSchema(ProviderRefSchema):
    url = serializers.URLField()


class AccreditationCourseSchema(serializers.Serializer):
    uid = serializers.UUIDField()
    title = serializers.CharField()
    url = serializers.URLField(help_text="The course's public URI")


class AccreditationDetailSchema(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.URLField()
    provider = AccreditationProviderSchema()
    scope = serializers.ChoiceField(["provider", "course"])
    course = AccreditationCourseSchema(allow_null=True)
    status = serializers.ChoiceField(["active", "suspended", "revoked", "expired", "annulled"])
    decision = serializers.ChoiceField(["positive", "positive_with_conditions"])
    decided_at = serializers.DateTimeField()
    valid_from = serializers.DateField()
    valid_until = serializers.DateField(help_text="Inclusive: the last day")
    eqf_levels = serializers.ListField(child=serializers.IntegerField())
    isced_fields = serializers.ListField(child=serializers.CharField())
    conditions = ConditionSchema(many=True)
    report = ReportLinkSchema(allow_null=True)
    history = HistoryEntrySchema(many=True)
    issuer = IssuerSchema()


accreditation_schema = extend_schema(
    operation_id="registry_accreditation",
    summary="One accreditation: JSON, or ELM 3 JSON-LD with Accept: application/ld+json",
    responses={
        (200, "application/json"): AccreditationDetailSchema,
        (200, "application/ld+json"): OpenApiResponse(
            OpenApiTypes.OBJECT, description="ELM 3 Accreditation (JSON-LD)"
        ),
        404: None,
        429: LIMITED,
    },
)
