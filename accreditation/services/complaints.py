"""Complaints about the procedure (ESG 2.7)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit
from core.effects import after_commit
from core.inputs import TEXT_MAX_LENGTH, check_text

from ..models import Complaint
from ..tasks import send_complaint_notification
from ._common import _visible_application


def complaint_lodge(*, actor, application, text):
    """Lodge a complaint about the procedure (ESG 2.7), optionally about one application
    the complainant may see. Coordinators are told after commit."""
    if application is not None:
        _visible_application(application, actor)
    if not isinstance(text, str) or not text.strip():
        raise ValidationError({"text": [_("Say what the complaint is about.")]})
    check_text(text, "text", TEXT_MAX_LENGTH)
    with transaction.atomic():
        complaint = Complaint.objects.create(
            application=application, lodged_by=actor, text=text.strip()
        )
        audit("complaint.lodge", actor=actor, obj=complaint)
        complaint_id = complaint.pk
        after_commit(send_complaint_notification.delay, complaint_id=complaint_id)
    return complaint
