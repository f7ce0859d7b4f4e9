"""Reads of review reports: which report counts, which are public, who sees which."""

from django.conf import settings
from django.urls import reverse

from accreditation.selectors import applications_visible_to

from ..models import Report


def latest_ready_report(application, stage):
    """The newest ready report of `stage`, or None: what guards and the registry rely on
    (an older ready version stays downloadable but is superseded)."""
    application_id = getattr(application, "pk", application)
    return (
        Report.objects.filter(application_id=application_id, stage=stage, status="ready")
        .order_by("-version")
        .first()
    )


def report_public_url(report):
    """The absolute download URL of the report's PDF (public once published and ready)."""
    path = reverse("report-pdf", kwargs={"pk": report.pk})
    return settings.MCQA_SITE_URL.rstrip("/") + path


def report_is_public(report):
    """Published reports are public once rendered (ESG 2.6); nothing else is."""
    return report.stage == Report.Stage.PUBLISHED and report.status == Report.Status.READY


def reports_visible_to(*, user):
    """Reports `user` may see: every report of an application they see, and every ready
    published report (public)."""
    public = Report.objects.filter(stage=Report.Stage.PUBLISHED, status=Report.Status.READY)
    if not getattr(user, "is_authenticated", False):
        return public
    return Report.objects.filter(application__in=applications_visible_to(user=user)) | public
