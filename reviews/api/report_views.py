"""Report API (contract: DESIGN section 4, `/reports/`).

- `POST /applications/{id}/reports/` `{"stage": "draft"|"final"}` → 202 `{id, status}`.
- `GET /reports/{id}/` → the report's state, checksum, PDF URL and structured data.
- `GET /reports/{id}/pdf/` → the exact stored PDF bytes (ETag = SHA-256).
- `POST /reports/{id}/retry/` → a failed report rendered again (coordinator).
- `PUT /applications/{id}/report-language/` `{"report_language": "de"}` → the language
  the application's reports are written in from now on (coordinator).

Visibility: whoever sees the application sees its reports; a ready published report is
public (ESG 2.6), anonymous callers included. Anything else is 404.
"""

from django.conf import settings
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accreditation.selectors import applications_visible_to
from core.errors import ConflictError

from ..models import Report
from ..reports import selectors, services


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class ReportRequestSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=["draft", "final"])


class ReportLanguageSerializer(serializers.Serializer):
    report_language = serializers.ChoiceField(
        choices=[code for code, _name in settings.LANGUAGES],
        help_text="The language the application's reports are written in (ISO 639-1).",
    )


class ReportAcceptedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Report.Status.values)


class ReportSerializer(serializers.ModelSerializer):
    """A report as the API shows it; `error` only for a failed one, `pdf_url` once ready."""

    application = serializers.IntegerField(source="application_id", read_only=True)
    pdf_url = serializers.SerializerMethodField()
    error = serializers.SerializerMethodField()
    superseded = serializers.SerializerMethodField(
        help_text="True when a newer ready version of the same stage replaces this one."
    )
    superseded_by = serializers.SerializerMethodField(
        help_text="The version that replaces this one (the newest ready one), or null."
    )
    data = serializers.JSONField(read_only=True, help_text="The embedded report.json.")

    class Meta:
        model = Report
        fields = [
            "id",
            "application",
            "stage",
            "version",
            "language",
            "status",
            "sha256",
            "size",
            "pdf_url",
            "error",
            "superseded",
            "superseded_by",
            "attempts",
            "created_at",
            "rendered_at",
            "data",
        ]
        read_only_fields = fields

    def get_pdf_url(self, report) -> str | None:
        if report.status != Report.Status.READY:
            return None
        return selectors.report_public_url(report)

    def get_error(self, report) -> str | None:
        return report.error if report.status == Report.Status.FAILED else None

    def get_superseded_by(self, report) -> int | None:
        if not hasattr(report, "_superseded_by"):
            report._superseded_by = selectors.report_superseded_by(report)
        return report._superseded_by

    def get_superseded(self, report) -> bool:
        return self.get_superseded_by(report) is not None


def _errors(*codes):
    described = {
        400: "invalid input",
        403: "no right",
        404: "not found or not visible",
        409: "wrong state",
    }
    return {code: OpenApiResponse(ErrorSerializer, description=described[code]) for code in codes}


def _visible_report(request, pk):
    """The report if the caller may see it, else 404 (never 403: nothing is revealed)."""
    return get_object_or_404(
        selectors.reports_visible_to(user=request.user).select_related("application"), pk=pk
    )


class ApplicationReportsView(APIView):
    @extend_schema(
        request=ReportRequestSerializer,
        responses={202: ReportAcceptedSerializer, **_errors(400, 403, 404, 409)},
        summary="Request a draft or final report (rendered after commit)",
    )
    def post(self, request, pk):
        application = get_object_or_404(applications_visible_to(user=request.user), pk=pk)
        stage = request.data.get("stage") if hasattr(request.data, "get") else None
        report = services.report_request(application=application, stage=stage, actor=request.user)
        return Response({"id": report.pk, "status": report.status}, status=status.HTTP_202_ACCEPTED)


class ReportDetailView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: ReportSerializer, **_errors(404)})
    def get(self, request, pk):
        report = _visible_report(request, pk)
        return Response(ReportSerializer(report).data)


class PDFRenderer(BaseRenderer):
    """Lets clients send `Accept: application/pdf`; error bodies still come as JSON."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        return JSONRenderer().render(data)


class ReportPDFView(APIView):
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer, PDFRenderer]

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The stored PDF; ETag is its SHA-256."
            ),
            **_errors(404, 409),
        }
    )
    def get(self, request, pk):
        report = _visible_report(request, pk)
        if report.status != Report.Status.READY:
            raise ConflictError(f"The report is not ready (status {report.status}).")
        etag = f'"{report.sha256}"'
        public = selectors.report_is_public(report)
        cache = "public, max-age=86400, immutable" if public else "private, no-store"
        if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
            response = HttpResponse(status=304)
        else:
            response = FileResponse(
                report.file.open("rb"),
                as_attachment=False,
                filename=f"report-{report.application_id}-{report.stage}-v{report.version}.pdf",
                content_type="application/pdf",
            )
            response["Content-Length"] = str(report.size)
        response["ETag"] = etag
        response["Cache-Control"] = cache
        response["X-Content-Type-Options"] = "nosniff"
        return response


class ReportRetryView(APIView):
    @extend_schema(
        request=None, responses={202: ReportAcceptedSerializer, **_errors(403, 404, 409)}
    )
    def post(self, request, pk):
        report = _visible_report(request, pk)
        report = services.report_retry(report=report, actor=request.user)
        return Response({"id": report.pk, "status": report.status}, status=status.HTTP_202_ACCEPTED)


class ApplicationReportLanguageView(APIView):
    """The language an application's reports are written in (the coordinator sets it; the
    reports requested from then on, the published one included, are rendered in it)."""

    parser_classes = [JSONParser]

    @extend_schema(responses={200: ReportLanguageSerializer, **_errors(404)})
    def get(self, request, pk):
        application = get_object_or_404(applications_visible_to(user=request.user), pk=pk)
        return Response({"report_language": application.report_language})

    @extend_schema(
        request=ReportLanguageSerializer,
        responses={200: ReportLanguageSerializer, **_errors(400, 403, 404)},
        summary="Set the language of the application's reports (coordinator)",
    )
    def put(self, request, pk):
        application = get_object_or_404(applications_visible_to(user=request.user), pk=pk)
        language = request.data.get("report_language") if hasattr(request.data, "get") else None
        application = services.report_language_set(
            application=application, language=language, actor=request.user
        )
        return Response({"report_language": application.report_language})
