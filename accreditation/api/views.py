"""Workflow API views: thin adapters from HTTP to the services and selectors.

Every object is looked up through a selector that applies the caller's visibility, so
whatever a caller may not see is 404; every write is a service call, so the API behaves
exactly like the pages and the admin. Domain errors become 400/403/404/409/413/415 in
`core.api.exception_handler`.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from knox.auth import TokenAuthentication
from rest_framework import status
from rest_framework.exceptions import Throttled
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core import tokens
from core.api import JSONParser
from core.clients import AuthRateThrottle
from core.errors import FileRejected
from core.inputs import as_id

from .. import services
from ..models import (
    AccreditationTransition,
    Document,
    Provider,
    SelfAssessment,
)
from ..selectors import (
    accreditations_visible_to,
    applications_visible_to,
    change_requests_visible_to,
    conditions_visible_to,
    conditions_with_history,
    courses_visible_to,
    decides_change_requests,
    is_provider_member,
    providers_visible_to,
)
from . import extensions
from . import serializers as s

ERRORS = {
    400: OpenApiResponse(s.WorkflowErrorSerializer, description="invalid input or unmet guard"),
    403: OpenApiResponse(s.WorkflowErrorSerializer, description="no right"),
    404: OpenApiResponse(s.WorkflowErrorSerializer, description="not found or not visible"),
    409: OpenApiResponse(s.WorkflowErrorSerializer, description="wrong state"),
}


def _errors(*codes):
    return {code: ERRORS[code] for code in codes}


def _data(request):
    """The JSON body as a plain dict (the services validate it field by field)."""
    return dict(request.data) if hasattr(request.data, "keys") else {}


# --------------------------------------------------------------------------- auth


class TokenView(APIView):
    """The API's login and logout (throttled: `auth` scope, per client address).

    POST exchanges a username and password for a new token (`core.tokens`): a new key at
    every login, stored only as a digest, expiring after `API_TOKEN_TTL_DAYS`. DELETE,
    authenticated with that token, revokes it (204); the holder's other tokens stay.
    """

    permission_classes = [AllowAny]
    throttle_classes = [AuthRateThrottle]
    throttle_scope = "auth"
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def get_authenticators(self):
        """Only DELETE authenticates, and only with a token: a login needs no
        credentials but the ones in its body, and revoking means presenting the key."""
        if getattr(self.request, "method", None) == "DELETE":
            return [TokenAuthentication()]
        return []

    def get_permissions(self):
        if getattr(self.request, "method", None) == "DELETE":
            return [IsAuthenticated()]
        return super().get_permissions()

    @extend_schema(
        request=s.TokenRequestSerializer,
        responses={200: s.TokenSerializer, 400: OpenApiResponse(description="bad credentials")},
        auth=[],
    )
    def post(self, request):
        self._refuse_locked_out(request)
        serializer = s.TokenRequestSerializer(data=request.data, context={"request": request})
        if not serializer.is_valid():
            self._refuse_locked_out(request)
            raise DRFValidationError(serializer.errors)
        key, expiry = tokens.token_issue(user=serializer.validated_data["user"])
        return Response(s.TokenSerializer({"token": key, "expiry": expiry}).data)

    @extend_schema(
        request=None,
        responses={204: OpenApiResponse(description="the presented token is revoked")},
    )
    def delete(self, request):
        tokens.token_revoke(token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @staticmethod
    def _refuse_locked_out(request):
        """The login lockout (django-axes) counts failures here as on the login page; a
        locked-out username gets no token even with the right password (429)."""
        from axes.handlers.proxy import AxesProxyHandler

        username = request.data.get("username") if hasattr(request.data, "get") else None
        credentials = {"username": str(username or "")}
        if AxesProxyHandler.is_locked(request._request, credentials=credentials):
            raise Throttled(detail="Too many failed logins; try again later.")


class MeView(APIView):
    @extend_schema(responses=s.MeSerializer)
    def get(self, request):
        return Response(s.MeSerializer.for_user(request.user))


# --------------------------------------------------------------------------- providers


class ProviderListView(GenericAPIView):
    serializer_class = s.ProviderSerializer
    parser_classes = [JSONParser]

    def get_queryset(self):
        return (
            providers_visible_to(user=self.request.user)
            .prefetch_related("identifiers")
            .order_by("legal_name", "id")
        )

    @extend_schema(responses=s.ProviderSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.ProviderSerializer(page, many=True).data)

    @extend_schema(
        request=s.ProviderInputSerializer, responses={201: s.ProviderSerializer, **_errors(400)}
    )
    def post(self, request):
        provider = services.provider_create(actor=request.user, data=_data(request))
        provider = Provider.objects.prefetch_related("identifiers").get(pk=provider.pk)
        return Response(s.ProviderSerializer(provider).data, status=status.HTTP_201_CREATED)


class ProviderDetailView(GenericAPIView):
    serializer_class = s.ProviderSerializer
    parser_classes = [JSONParser]
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self):
        return providers_visible_to(user=self.request.user).prefetch_related("identifiers")

    @extend_schema(responses={200: s.ProviderSerializer, **_errors(404)})
    def get(self, request, pk):
        return Response(s.ProviderSerializer(self.get_object()).data)

    @extend_schema(
        request=s.ProviderInputSerializer(partial=True),
        responses={
            200: s.ProviderSerializer,
            202: OpenApiResponse(
                s.ChangeRequestSerializer,
                description="the provider has a decision: the change of legal name, country "
                "or identifiers was filed as a pending change request (other fields changed)",
            ),
            **_errors(400, 403, 404, 409),
        },
    )
    def patch(self, request, pk):
        provider, change_request = services.provider_change(
            provider=self.get_object(), actor=request.user, data=_data(request)
        )
        if change_request is not None:
            return Response(
                s.ChangeRequestSerializer(change_request).data, status=status.HTTP_202_ACCEPTED
            )
        provider = Provider.objects.prefetch_related("identifiers").get(pk=provider.pk)
        return Response(s.ProviderSerializer(provider).data)


def _provider_with_requests(request, pk):
    """The provider whose change requests `request.user` may see: its own people and
    coordinators; anyone else gets 404."""
    provider = get_object_or_404(providers_visible_to(user=request.user), pk=pk)
    if not (decides_change_requests(request.user) or is_provider_member(request.user, pk)):
        raise Http404
    return provider


class ProviderChangeRequestsView(GenericAPIView):
    """Identity change requests of a provider (DESIGN section 7)."""

    serializer_class = s.ChangeRequestSerializer
    parser_classes = [JSONParser]

    @extend_schema(responses={200: s.ChangeRequestSerializer(many=True), **_errors(404)})
    def get(self, request, pk):
        provider = _provider_with_requests(request, pk)
        queryset = change_requests_visible_to(user=request.user).filter(provider=provider)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(s.ChangeRequestSerializer(page, many=True).data)

    @extend_schema(
        request=s.ChangeRequestInputSerializer,
        responses={201: s.ChangeRequestSerializer, **_errors(400, 403, 404, 409)},
    )
    def post(self, request, pk):
        provider = _provider_with_requests(request, pk)
        change_request = services.change_request_file(
            provider=provider, actor=request.user, data=_data(request)
        )
        return Response(
            s.ChangeRequestSerializer(change_request).data, status=status.HTTP_201_CREATED
        )


class ChangeRequestDecisionView(APIView):
    """A coordinator approves or rejects a pending change request."""

    parser_classes = [JSONParser]
    decide = None  # the service

    @extend_schema(
        request=s.ChangeRequestDecisionSerializer,
        responses={200: s.ChangeRequestSerializer, **_errors(400, 403, 404, 409)},
    )
    def post(self, request, pk):
        change_request = get_object_or_404(change_requests_visible_to(user=request.user), pk=pk)
        comment = _data(request).get("comment") or ""
        if not isinstance(comment, str):
            raise ValidationError({"comment": ["A text is required."]})
        decide = type(self).decide
        decided = decide(change_request=change_request, actor=request.user, comment=comment)
        return Response(s.ChangeRequestSerializer(decided).data)


class ChangeRequestApproveView(ChangeRequestDecisionView):
    decide = staticmethod(services.change_request_approve)


class ChangeRequestRejectView(ChangeRequestDecisionView):
    decide = staticmethod(services.change_request_reject)


# --------------------------------------------------------------------------- courses


class CourseListView(GenericAPIView):
    serializer_class = s.CourseSerializer
    parser_classes = [JSONParser]

    def get_queryset(self):
        queryset = courses_visible_to(user=self.request.user).order_by("provider_id", "title", "id")
        provider = self.request.query_params.get("provider")
        if provider and provider.isdigit():
            queryset = queryset.filter(provider_id=int(provider))
        return queryset

    @extend_schema(responses=s.CourseSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.CourseSerializer(page, many=True).data)

    @extend_schema(
        request=s.CourseInputSerializer, responses={201: s.CourseSerializer, **_errors(400, 403)}
    )
    def post(self, request):
        course = services.course_create(actor=request.user, data=_data(request))
        return Response(s.CourseSerializer(course).data, status=status.HTTP_201_CREATED)


class CourseDetailView(GenericAPIView):
    serializer_class = s.CourseSerializer
    parser_classes = [JSONParser]
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self):
        return courses_visible_to(user=self.request.user)

    @extend_schema(responses={200: s.CourseSerializer, **_errors(404)})
    def get(self, request, pk):
        return Response(s.CourseSerializer(self.get_object()).data)

    @extend_schema(
        request=s.CoursePatchSerializer,
        responses={200: s.CourseSerializer, **_errors(400, 403, 404)},
    )
    def patch(self, request, pk):
        course = services.course_update(
            course=self.get_object(), actor=request.user, data=_data(request)
        )
        return Response(s.CourseSerializer(course).data)


# --------------------------------------------------------------------------- applications


def application_detail_queryset(user):
    """One application with everything its detail shows, in a fixed number of queries."""
    return (
        applications_visible_to(user=user)
        .select_related("framework", "provider", "course")
        .prefetch_related(
            "framework__standards",
            "documents",
            Prefetch(
                "self_assessments",
                queryset=SelfAssessment.objects.select_related("standard").prefetch_related(
                    "evidence"
                ),
            ),
            "clarifications",
            *extensions.prefetch_lookups(),
        )
    )


def _application_response(request, pk, status_code=200):
    application = get_object_or_404(application_detail_queryset(request.user), pk=pk)
    data = s.ApplicationDetailSerializer(application, context={"request": request}).data
    return Response(data, status=status_code)


class ApplicationListView(GenericAPIView):
    serializer_class = s.ApplicationListSerializer
    parser_classes = [JSONParser]

    def get_queryset(self):
        queryset = applications_visible_to(user=self.request.user).select_related("framework")
        params = self.request.query_params
        if params.get("state"):
            queryset = queryset.filter(state=params["state"])
        if params.get("provider", "").isdigit():
            queryset = queryset.filter(provider_id=int(params["provider"]))
        return queryset.order_by("-created_at", "-id")

    @extend_schema(responses=s.ApplicationListSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.ApplicationListSerializer(page, many=True).data)

    @extend_schema(
        request=s.ApplicationCreateSerializer,
        responses={201: s.ApplicationDetailSerializer, **_errors(400, 403, 409)},
    )
    def post(self, request):
        data = _data(request)
        known = {"kind", "provider", "course", "framework", "previous"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValidationError({name: ["Unknown field."] for name in unknown})
        application = services.application_create(
            actor=request.user,
            kind=data.get("kind"),
            provider=data.get("provider"),
            course=data.get("course"),
            framework_code=data.get("framework") or None,
            previous=data.get("previous"),
        )
        return _application_response(request, application.pk, status.HTTP_201_CREATED)


class ApplicationDetailView(APIView):
    @extend_schema(responses={200: s.ApplicationDetailSerializer, **_errors(404)})
    def get(self, request, pk):
        return _application_response(request, pk)


def _visible_application(request, pk):
    return get_object_or_404(applications_visible_to(user=request.user), pk=pk)


class DocumentUploadView(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": s.DocumentUploadSerializer},
        responses={
            201: s.DocumentSerializer,
            **_errors(400, 403, 404, 409),
            413: OpenApiResponse(s.WorkflowErrorSerializer, description="over the size limit"),
            415: OpenApiResponse(s.WorkflowErrorSerializer, description="not a plain PDF"),
        },
    )
    def post(self, request, pk):
        application = _visible_application(request, pk)
        self._refuse_oversize_body(request)
        document = services.document_upload(
            application=application,
            actor=request.user,
            kind=request.data.get("kind"),
            uploaded_file=request.FILES.get("file"),
        )
        return Response(s.DocumentSerializer(document).data, status=status.HTTP_201_CREATED)

    @staticmethod
    def _refuse_oversize_body(request):
        """A body much larger than the limit is refused before it is parsed and spooled."""
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.MCQA_UPLOAD_MAX_BYTES
        if length > limit + 64 * 1024:
            raise FileRejected(
                f"The file is larger than the limit of {limit} bytes.",
                status_code=413,
                code="too_large",
            )


class DocumentDetailView(APIView):
    @extend_schema(responses={204: None, **_errors(403, 404, 409)})
    def delete(self, request, pk, document_id):
        """Remove a document from the dossier while it is a draft or returned (the
        provider's people; 409 once submitted)."""
        application = _visible_application(request, pk)
        document = get_object_or_404(application.documents.all(), pk=document_id)
        services.document_delete(document=document, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DocumentDownloadView(APIView):
    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY),
            **_errors(404),
        }
    )
    def get(self, request, pk):
        document = get_object_or_404(Document.objects.select_related("application"), pk=pk)
        handle = services.document_open(document=document, actor=request.user)
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=document.display_name,
            content_type="application/pdf",
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


class SelfAssessmentView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        request=s.SelfAssessmentInputSerializer,
        responses={
            200: s.SelfAssessmentSerializer,
            201: s.SelfAssessmentSerializer,
            **_errors(400, 403, 404, 409),
        },
    )
    def put(self, request, pk, standard_code):
        application = _visible_application(request, pk)
        data = _data(request)
        assessment, created = services.self_assessment_put(
            application=application,
            actor=request.user,
            standard_code=standard_code,
            narrative=data.get("narrative"),
            evidence_ids=data.get("evidence") or (),
        )
        return Response(
            s.SelfAssessmentSerializer(assessment).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class ScreeningChecklistView(APIView):
    """The coordinator's screening checklist of an application (kept while it is screened)."""

    parser_classes = [JSONParser]

    @extend_schema(responses={200: s.ScreeningChecklistSerializer, **_errors(403, 404)})
    def get(self, request, pk):
        application = _visible_application(request, pk)
        return Response(
            services.screening_checklist_read(application=application, actor=request.user)
        )

    @extend_schema(
        request=s.ScreeningChecklistInputSerializer,
        responses={200: s.ScreeningChecklistSerializer, **_errors(400, 403, 404, 409)},
    )
    def put(self, request, pk):
        application = _visible_application(request, pk)
        services.screening_checklist_save(
            application=application, actor=request.user, items=_data(request).get("items")
        )
        return Response(
            services.screening_checklist_read(application=application, actor=request.user)
        )


class ApplicationTransitionView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        request=s.TransitionInputSerializer,
        responses={200: s.ApplicationDetailSerializer, **_errors(400, 403, 404, 409)},
    )
    def post(self, request, pk, name):
        application = _visible_application(request, pk)
        services.application_transition(
            application=application, name=name, actor=request.user, data=_data(request)
        )
        return _application_response(request, pk)


class ApplicationHistoryView(APIView):
    @extend_schema(responses={200: s.TransitionLogSerializer(many=True), **_errors(404)})
    def get(self, request, pk):
        application = _visible_application(request, pk)
        logs = application.transitions.select_related("actor").order_by("at", "id")
        return Response(s.TransitionLogSerializer(logs, many=True).data)


# --------------------------------------------------------------------------- accreditations


class AccreditationListView(GenericAPIView):
    serializer_class = s.AccreditationSerializer

    def get_queryset(self):
        return (
            accreditations_visible_to(user=self.request.user)
            .prefetch_related("conditions")
            .order_by("-valid_from", "-id")
        )

    @extend_schema(responses=s.AccreditationSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.AccreditationSerializer(page, many=True).data)


def _accreditation_response(request, pk):
    accreditation = get_object_or_404(
        accreditations_visible_to(user=request.user).prefetch_related(
            "conditions", Prefetch("transitions", queryset=_accreditation_logs())
        ),
        pk=pk,
    )
    return Response(
        s.AccreditationDetailSerializer(accreditation, context={"request": request}).data
    )


def _accreditation_logs():
    return AccreditationTransition.objects.select_related("actor").order_by("at", "id")


class AccreditationDetailView(APIView):
    @extend_schema(responses={200: s.AccreditationDetailSerializer, **_errors(404)})
    def get(self, request, pk):
        return _accreditation_response(request, pk)


class AccreditationTransitionView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        request=s.AccreditationTransitionInputSerializer,
        responses={200: s.AccreditationDetailSerializer, **_errors(400, 403, 404, 409)},
    )
    def post(self, request, pk, name):
        accreditation = get_object_or_404(accreditations_visible_to(user=request.user), pk=pk)
        services.accreditation_transition(
            accreditation=accreditation, name=name, actor=request.user, data=_data(request)
        )
        return _accreditation_response(request, pk)


# --------------------------------------------------------------------------- conditions


def _visible_condition(request, pk):
    return get_object_or_404(
        conditions_visible_to(user=request.user).select_related("accreditation"), pk=pk
    )


def _condition_response(request, pk, status_code=200):
    """The condition with its answers and assessments: a constant number of queries."""
    condition = get_object_or_404(conditions_with_history(user=request.user), pk=pk)
    actions = services.condition_actions(condition, request.user)
    data = s.ConditionDetailSerializer(condition, context={"actions": actions}).data
    return Response(data, status=status_code)


class ConditionDetailView(APIView):
    @extend_schema(responses={200: s.ConditionDetailSerializer, **_errors(404)})
    def get(self, request, pk):
        return _condition_response(request, pk)


class ConditionResponsesView(APIView):
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(
        request={
            "application/json": s.ConditionResponseInputSerializer,
            "multipart/form-data": s.ConditionResponseInputSerializer,
        },
        responses={
            201: s.ConditionDetailSerializer,
            **_errors(400, 403, 404, 409),
            413: OpenApiResponse(s.WorkflowErrorSerializer, description="over the size limit"),
            415: OpenApiResponse(s.WorkflowErrorSerializer, description="not a plain PDF"),
        },
    )
    def post(self, request, pk):
        """The provider answers the condition: `text` and, as multipart, PDFs in `files`."""
        condition = _visible_condition(request, pk)
        files = [*request.FILES.getlist("files"), *request.FILES.getlist("file")]
        services.condition_respond(
            condition=condition, actor=request.user, text=request.data.get("text"), files=files
        )
        return _condition_response(request, pk, status.HTTP_201_CREATED)


class ConditionAssessView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        request=s.ConditionAssessInputSerializer,
        responses={200: s.ConditionDetailSerializer, **_errors(400, 403, 404, 409)},
    )
    def post(self, request, pk):
        """The decision body assesses the condition; the last one met makes the decision
        positive (`confirm_conditions_met`)."""
        condition = _visible_condition(request, pk)
        data = _data(request)
        services.condition_assess(
            condition=condition,
            actor=request.user,
            met=data.get("met"),
            comment=data.get("comment") or "",
            given=data.keys(),
        )
        return _condition_response(request, pk)


# --------------------------------------------------------------------------- complaints


class ComplaintView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        request=s.ComplaintInputSerializer,
        responses={201: s.ComplaintSerializer, **_errors(400, 404)},
    )
    def post(self, request):
        data = _data(request)
        application = None
        if data.get("application") not in (None, ""):
            application_id = as_id(data["application"], "application", "application id")
            application = _visible_application(request, application_id)
        complaint = services.complaint_lodge(
            actor=request.user, application=application, text=data.get("text")
        )
        return Response(s.ComplaintSerializer(complaint).data, status=status.HTTP_201_CREATED)
