"""The follow-up pages: the provider answers a condition, the decision body assesses it, and
the case page shows each condition's status, due date, answers and assessment."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accreditation.models import ConditionAssessment, ConditionResponse
from demo.scenario import ready_report
from reviews.models import Report
from tests.accreditation.helpers import decided
from tests.factories import pdf_bytes

from .conftest import HOSTILE

pytestmark = pytest.mark.django_db

DUE = datetime.date.today() + datetime.timedelta(days=90)


@pytest.fixture
def accreditation(course_application, decider):
    accreditation = decided(
        course_application,
        decider,
        state="conditionally_accredited",
        conditions=[("Publish the grading grid", DUE)],
    )
    ready_report(course_application, Report.Stage.PUBLISHED)
    return accreditation


@pytest.fixture
def condition(accreditation):
    return accreditation.conditions.get()


def test_provider_answers_on_the_condition_page(as_user, provider_user, condition):
    client = as_user(provider_user)
    page = client.get(condition.get_absolute_url()).content.decode()
    assert 'id="h-respond"' in page and 'id="h-assess"' not in page
    assert "csrfmiddlewaretoken" in page
    response = client.post(
        f"/conditions/{condition.pk}/responses/",
        {
            "text": f"The grid is published. {HOSTILE}",
            "files": [
                SimpleUploadedFile("grid.pdf", pdf_bytes(), content_type="application/pdf"),
                SimpleUploadedFile("minutes.pdf", pdf_bytes(), content_type="application/pdf"),
            ],
        },
    )
    assert response.status_code == 302
    answer = ConditionResponse.objects.get()
    assert sorted(d.display_name for d in answer.documents.all()) == ["grid.pdf", "minutes.pdf"]
    page = client.get(condition.get_absolute_url()).content.decode()
    assert "Your answer was sent" in page
    assert HOSTILE not in page and "&lt;script&gt;" in page
    assert "grid.pdf" in page


def test_an_answer_without_text_is_400_next_to_the_field(as_user, provider_user, condition):
    response = as_user(provider_user).post(f"/conditions/{condition.pk}/responses/", {"text": ""})
    assert response.status_code == 400
    assert 'id="id_text_errors"' in response.content.decode()
    fake = SimpleUploadedFile("x.pdf", b"plain text", content_type="application/pdf")
    response = as_user(provider_user).post(
        f"/conditions/{condition.pk}/responses/", {"text": "Done.", "files": fake}
    )
    assert response.status_code == 415
    assert not ConditionResponse.objects.exists()


def test_decision_body_assesses_not_met_then_met_and_the_decision_turns_positive(
    as_user, decider, provider_user, condition, accreditation, django_capture_on_commit_callbacks
):
    client = as_user(decider)
    page = client.get(condition.get_absolute_url()).content.decode()
    assert 'id="h-assess"' in page and 'id="h-respond"' not in page
    response = client.post(f"/conditions/{condition.pk}/assess/", {"met": "no", "comment": ""})
    assert response.status_code == 400
    assert 'id="id_comment_errors"' in response.content.decode()
    assert not ConditionAssessment.objects.exists()
    response = client.post(
        f"/conditions/{condition.pk}/assess/", {"met": "no", "comment": "Add the weights."}
    )
    assert response.status_code == 302
    case = as_user(provider_user).get(accreditation.application.get_absolute_url())
    html = case.content.decode()
    assert condition.get_absolute_url() in html
    assert "last assessed not met yet: Add the weights." in html
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/conditions/{condition.pk}/assess/", {"met": "yes"})
    assert response.status_code == 302
    page = client.get(condition.get_absolute_url()).content.decode()
    assert "the decision is now positive" in page
    assert 'data-outcome="positive"' in page and 'data-condition-status="met"' in page
    accreditation.refresh_from_db()
    assert accreditation.outcome == "positive"


def test_who_may_act_on_the_pages(as_user, coordinator, provider_user, outsider, condition):
    assert as_user(outsider).get(condition.get_absolute_url()).status_code == 404
    assert (
        as_user(outsider).post(f"/conditions/{condition.pk}/responses/", {"text": "x"}).status_code
        == 404
    )
    staff = as_user(coordinator)
    page = staff.get(condition.get_absolute_url()).content.decode()
    assert 'id="h-respond"' not in page and 'id="h-assess"' not in page
    assert staff.post(f"/conditions/{condition.pk}/responses/", {"text": "x"}).status_code == 403
    assert staff.post(f"/conditions/{condition.pk}/assess/", {"met": "yes"}).status_code == 403
    assert (
        as_user(provider_user)
        .post(f"/conditions/{condition.pk}/assess/", {"met": "yes"})
        .status_code
        == 403
    )
    assert not ConditionAssessment.objects.exists() and not ConditionResponse.objects.exists()


def test_case_page_lists_conditions_in_constant_queries(
    as_user, provider_user, decider, condition, accreditation, django_assert_max_num_queries
):
    client = as_user(provider_user)
    url = accreditation.application.get_absolute_url()
    with django_assert_max_num_queries(60) as few:
        client.get(url)
    for n in range(5):
        answer = ConditionResponse.objects.create(
            condition=condition, text=f"Answer {n}", submitted_by=provider_user
        )
        ConditionAssessment.objects.create(
            condition=condition, response=answer, met=False, comment="No", assessed_by=decider
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url)
    assert "5 answers" in page.content.decode()
