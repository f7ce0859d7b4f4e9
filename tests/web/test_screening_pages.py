"""The coordinator's screening page: the checklist is kept, and the items marked missing
or insufficient write the return comment, which the coordinator edits and sends through
the engine like any `return_for_completion`."""

import pytest
from django.urls import reverse

from accreditation.models import ApplicationTransition, ScreeningChecklist
from accreditation.screening import items

from .conftest import to_screening

pytestmark = pytest.mark.django_db


def _post(application, **marks):
    """A form post marking the items named by code (`{code: (status, note)}`)."""
    data = {}
    for index, item in enumerate(items(application)):
        status, note = marks.get(item.code, ("", ""))
        data[f"status-{index}"] = status
        data[f"note-{index}"] = note
    return data


def test_the_coordinator_ticks_items_and_returns_the_dossier_with_the_comment_they_make(
    as_user, course_application, provider_user, coordinator
):
    application = to_screening(course_application, provider_user, coordinator)
    client = as_user(coordinator)
    page = client.get(application.get_absolute_url()).content.decode()
    assert reverse("application-screening", args=[application.pk]) in page
    url = reverse("application-screening", args=[application.pk])
    page = client.get(url).content.decode()
    assert 'data-item="element:level"' in page and 'data-item="document:credential_sample"' in page
    data = _post(
        application,
        **{
            "element:workload": ("insufficient", "Say how the hours are counted."),
            "document:credential_sample": ("missing", ""),
            "element:title": ("ok", ""),
        },
    )
    response = client.post(url, {**data, "action": "save"})
    assert response.status_code == 302
    kept = ScreeningChecklist.objects.get(application=application).items
    assert kept["document:credential_sample"] == {"status": "missing", "note": ""}
    page = client.get(url).content.decode()
    assert "Say how the hours are counted." in page  # come back: the note is still there

    response = client.post(url, {**data, "action": "return"})
    confirm = reverse("application-transition", args=[application.pk, "return_for_completion"])
    assert response.status_code == 302 and response["Location"].startswith(confirm)
    page = client.get(response["Location"]).content.decode()
    assert 'id="from-checklist"' in page
    assert "- Insufficient: Notional workload" in page and "- Missing: Sample credential." in page

    edited = "Please add a sample credential.\nAnd say how the hours are counted."
    response = client.post(confirm, {"comment": edited, "confirm": "yes"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.state == "returned"
    log = ApplicationTransition.objects.filter(application=application).last()
    assert (log.transition, log.comment) == ("return_for_completion", edited)


def test_a_bad_status_is_shown_on_the_page_and_nothing_is_kept(
    as_user, course_application, provider_user, coordinator
):
    application = to_screening(course_application, provider_user, coordinator)
    url = reverse("application-screening", args=[application.pk])
    data = _post(application, **{"element:level": ("perhaps", "")})
    response = as_user(coordinator).post(url, {**data, "action": "save"})
    assert response.status_code == 400
    assert not ScreeningChecklist.objects.exists()


def test_the_provider_may_not_screen_and_others_do_not_see_the_page(
    as_user, course_application, provider_user, coordinator, outsider
):
    application = to_screening(course_application, provider_user, coordinator)
    url = reverse("application-screening", args=[application.pk])
    assert as_user(provider_user).get(url).status_code == 403
    assert as_user(provider_user).post(url, {"action": "save"}).status_code == 403
    assert as_user(outsider).get(url).status_code == 404
    assert not ScreeningChecklist.objects.exists()


def test_after_screening_the_checklist_is_shown_but_not_changed(
    as_user, course_application, provider_user, coordinator
):
    application = to_screening(course_application, provider_user, coordinator)
    url = reverse("application-screening", args=[application.pk])
    client = as_user(coordinator)
    client.post(url, {**_post(application, **{"element:level": ("missing", "")}), "action": "save"})
    client.post(
        reverse("application-transition", args=[application.pk, "return_for_completion"]),
        {"comment": "Level missing.", "confirm": "yes"},
    )
    page = client.get(url)
    assert (
        page.status_code == 200
        and "only while the dossier is in screening" in page.content.decode()
    )
    response = client.post(url, {**_post(application), "action": "save"})
    assert response.status_code == 409
    assert ScreeningChecklist.objects.get().items["element:level"]["status"] == "missing"
