"""How reports hook into `accreditation`, which never imports `reviews`: the receivers
that queue the published report after a publishing step, and the application detail's
`reports` field.

Whether a step publishes (or asks for a report) is the catalogue's `publishes` flag
(`renders_report`) in `accreditation.workflow`, read here and nowhere restated.
Imported by `ReviewsConfig.ready()`.
"""

from accreditation import workflow
from accreditation.api.extensions import register_application_field
from accreditation.models import Accreditation
from accreditation.signals import accreditation_changed, application_transitioned

from ..models import Report
from .selectors import superseded_by
from .tasks import publish_report, request_report_after_step


def _on_application_transitioned(sender, application_id, transition, log_id, **kwargs):
    """After a decision, publish the report with the decision; after a step that asks the
    system for a report (the factual-accuracy check closing), render it (Celery tasks)."""
    step = workflow.step(transition)
    if step.publishes:
        publish_report.delay(application_id, f"application-log:{log_id}")
    if step.renders_report:
        request_report_after_step.delay(
            application_id, step.renders_report, f"application-log:{log_id}"
        )


def _on_accreditation_changed(sender, accreditation_id, transition, log_id, **kwargs):
    """Conditions confirmed met change the decision shown: publish a new version."""
    if transition in workflow.CATALOGUE and workflow.step(transition).publishes:
        application_id = (
            Accreditation.objects.filter(pk=accreditation_id)
            .values_list("application_id", flat=True)
            .first()
        )
        if application_id is not None:
            publish_report.delay(application_id, f"accreditation-log:{log_id}")


application_transitioned.connect(
    _on_application_transitioned, dispatch_uid="reviews.reports.publish"
)
accreditation_changed.connect(_on_accreditation_changed, dispatch_uid="reviews.reports.conditions")


def application_reports_field(application, request):
    """`reports` in the application detail: `[{id, stage, version, status, superseded}]`,
    oldest first; `superseded` marks a version a newer ready one of its stage replaces."""
    order = {stage: i for i, stage in enumerate(Report.Stage.values)}
    reports = sorted(application.reports.all(), key=lambda r: (order[r.stage], r.version))
    replaced = superseded_by(reports)
    return [
        {
            "id": r.pk,
            "stage": r.stage,
            "version": r.version,
            "status": r.status,
            "superseded": r.pk in replaced,
        }
        for r in reports
    ]


register_application_field("reports", application_reports_field, prefetch=("reports",))
