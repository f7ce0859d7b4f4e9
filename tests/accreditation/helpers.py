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

    from demo.scenario import accreditation_record, decision_record, skip_to_state

    now = timezone.now()
    outcome = "positive_with_conditions" if conditions else "positive"
    if state == "rejected":
        outcome = "negative"
    skip_to_state(application, state, decided_at=now)
    valid_until = valid_until or now.date() + datetime.timedelta(days=5 * 365)
    decision = decision_record(
        application,
        outcome=outcome,
        decided_by=decider,
        valid_from=min(now.date(), valid_until - datetime.timedelta(days=1)),
        valid_until=valid_until,
        decided_at=now,
    )
    if outcome == "negative":
        return None
    return accreditation_record(decision, conditions=conditions)
