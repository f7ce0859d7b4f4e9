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


def superseded_by(reports):
    """`{report id: newer version}` for each report in `reports` (all of one application,
    or several) that a newer ready version of the same stage replaces: the newest ready
    version is the one that counts (for the factual-accuracy check, the decision and the
    registry); older ones stay downloadable, marked superseded. A pending or failed newer
    version supersedes nothing yet. No query: it reads the list it is given."""
    newest = {}
    for r in reports:
        key = (r.application_id, r.stage)
        if r.status == Report.Status.READY and r.version > newest.get(key, 0):
            newest[key] = r.version
    return {
        r.pk: newest[(r.application_id, r.stage)]
        for r in reports
        if newest.get((r.application_id, r.stage), 0) > r.version
    }


def report_superseded_by(report):
    """The version that supersedes `report` (the newest ready one of its stage), or None."""
    newer = latest_ready_report(report.application_id, report.stage)
    if newer is not None and newer.version > report.version:
        return newer.version
    return None


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
