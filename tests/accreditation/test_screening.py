"""The screening checklist: one item per Annex I element and per required document, kept
per application by coordinators while the dossier is screened, and the return comment it
builds."""

import pytest
from django.core.exceptions import ValidationError

from accreditation import annex, screening
from accreditation.models import Application, ScreeningChecklist
from accreditation.services import application_transition, screening_checklist_save
from core.audit import AuditEvent
from core.errors import ConflictError, NotAllowed, NotVisible
from tests.factories import ApplicationFactory, UserFactory, complete_dossier

pytestmark = pytest.mark.django_db


def _screening(application, provider_user, coordinator):
    complete_dossier(application, provider_user)
    for name, actor in (("submit", provider_user), ("start_screening", coordinator)):
        application_transition(application=application, name=name, actor=actor, data={})
    application.refresh_from_db()
    return application


def test_a_course_dossier_has_one_item_per_annex_i_element_and_required_document(
    course_application,
):
    codes = [item.code for item in screening.items(course_application)]
    assert codes == [
        *(f"element:{e.code}" for e in annex.ELEMENTS),
        "document:self_evaluation",
        "document:credential_sample",
    ]


def test_an_institutional_dossier_has_no_annex_i_items():
    application = ApplicationFactory(kind=Application.Kind.PROVIDER, course=None)
    assert [item.code for item in screening.items(application)] == ["document:self_evaluation"]


def test_the_comment_lists_the_missing_and_insufficient_items_in_order(course_application):
    states = {
        "document:credential_sample": {"status": "insufficient", "note": "No date of issuing."},
        "element:level": {"status": "missing", "note": ""},
        "element:title": {"status": "ok", "note": "fine"},
    }
    assert screening.comment_for(course_application, states) == (
        "The dossier is incomplete. Please complete the following and submit it again:\n"
        "- Missing: Level (EQF and/or QF-EHEA cycle), if applicable.\n"
        "- Insufficient: Sample credential. No date of issuing."
    )
    assert screening.comment_for(course_application, {"element:title": {"status": "ok"}}) == ""


def test_the_coordinator_keeps_the_checklist_and_comes_back_to_it(
    course_application, provider_user, coordinator
):
    application = _screening(course_application, provider_user, coordinator)
    screening_checklist_save(
        application=application,
        actor=coordinator,
        items={"element:level": {"status": "missing", "note": " Say the EQF level. "}},
    )
    screening_checklist_save(
        application=application,
        actor=coordinator,
        items={"document:self_evaluation": {"status": "ok", "note": ""}},
    )
    checklist = ScreeningChecklist.objects.get(application=application)
    assert checklist.items == {
        "element:level": {"status": "missing", "note": "Say the EQF level."},
        "document:self_evaluation": {"status": "ok", "note": ""},
    }
    assert checklist.updated_by == coordinator
    event = AuditEvent.objects.filter(action="application.screening_checklist").last()
    assert event.data == {"flagged": ["element:level"]}


@pytest.mark.parametrize(
    ("items", "field"),
    [
        ({"element:nonsense": {"status": "ok"}}, "items.element:nonsense"),
        ({"element:level": {"status": "maybe"}}, "items.element:level.status"),
        ({"element:level": {"status": "ok", "colour": "red"}}, "items.element:level"),
        ({"element:level": {"status": "ok", "note": 5}}, "items.element:level.note"),
        ({"element:level": {"status": "ok", "note": "x" * 1001}}, "items.element:level.note"),
        (["element:level"], "items"),
    ],
)
def test_a_bad_item_is_400_naming_it_and_nothing_is_kept(
    course_application, provider_user, coordinator, items, field
):
    application = _screening(course_application, provider_user, coordinator)
    with pytest.raises(ValidationError) as refused:
        screening_checklist_save(application=application, actor=coordinator, items=items)
    assert field in refused.value.message_dict
    assert not ScreeningChecklist.objects.exists()


def test_only_a_coordinator_screens_and_only_in_screening(
    course_application, provider_user, coordinator
):
    item = {"element:level": {"status": "missing", "note": ""}}
    with pytest.raises(ConflictError):
        screening_checklist_save(application=course_application, actor=coordinator, items=item)
    application = _screening(course_application, provider_user, coordinator)
    with pytest.raises(NotAllowed):
        screening_checklist_save(application=application, actor=provider_user, items=item)
    with pytest.raises(NotVisible):
        screening_checklist_save(
            application=application, actor=UserFactory(roles=["provider"]), items=item
        )
    assert not ScreeningChecklist.objects.exists()


def test_the_api_keeps_the_checklist_and_answers_the_comment_it_builds(
    course_application, provider_user, coordinator
):
    from .conftest import token_client

    application = _screening(course_application, provider_user, coordinator)
    client = token_client(coordinator)
    url = f"/api/v1/applications/{application.pk}/screening/"
    body = {"items": {"element:learning_outcomes": {"status": "insufficient", "note": "Vague."}}}
    response = client.put(url, body, format="json")
    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["comment"].endswith("- Insufficient: Learning outcomes. Vague.")
    row = next(i for i in answer["items"] if i["code"] == "element:learning_outcomes")
    assert (row["status"], row["note"]) == ("insufficient", "Vague.")
    assert client.get(url).json() == answer
    response = client.put(url, {"items": {"element:colour": {"status": "ok"}}}, format="json")
    assert response.status_code == 400 and "items.element:colour" in response.json()
    assert client.get(url).json() == answer
    assert token_client(provider_user).get(url).status_code == 403
