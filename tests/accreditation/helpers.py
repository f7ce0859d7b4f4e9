"""Small helpers for the workflow tests."""

from django.core.files.uploadedfile import SimpleUploadedFile


def upload(client, application_id, kind, content, name="file.pdf", content_type="application/pdf"):
    return client.post(
        f"/api/v1/applications/{application_id}/documents/",
        {"kind": kind, "file": SimpleUploadedFile(name, content, content_type=content_type)},
        format="multipart",
    )


def fire(client, application_id, name, **data):
    return client.post(
        f"/api/v1/applications/{application_id}/transitions/{name}/", data, format="json"
    )


def history(client, application_id):
    response = client.get(f"/api/v1/applications/{application_id}/history/")
    assert response.status_code == 200, response.content
    return response.json()


def decided(application, decider, *, state="accredited", conditions=(), valid_until=None):
    """Put `application` in a decided state with its decision and accreditation, as the
    decision rules would have written them (the review path is tested elsewhere)."""
    import datetime

    from django.utils import timezone

    from accreditation.models import (
        Accreditation,
        AccreditationTransition,
        Application,
        Condition,
        Decision,
    )

    now = timezone.now()
    outcome = "positive_with_conditions" if conditions else "positive"
    if state == "rejected":
        outcome = "negative"
    Application.objects.filter(pk=application.pk).update(state=state, decided_at=now)
    application.refresh_from_db()
    valid_until = valid_until or now.date() + datetime.timedelta(days=5 * 365)
    valid_from = min(now.date(), valid_until - datetime.timedelta(days=1))
    decision = Decision.objects.create(
        application=application,
        outcome=outcome,
        valid_from=valid_from if outcome != "negative" else None,
        valid_until=valid_until if outcome != "negative" else None,
        decided_by=decider,
        decided_at=now,
    )
    if outcome == "negative":
        return None
    accreditation = Accreditation.objects.create(
        provider_id=application.provider_id,
        course_id=application.course_id,
        application=application,
        decision=decision,
        outcome=outcome,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    for text, due in conditions:
        Condition.objects.create(accreditation=accreditation, text=text, due_date=due)
    AccreditationTransition.objects.create(
        accreditation=accreditation, transition="create", from_state="", to_state="active"
    )
    return accreditation
