"""`accreditation.web.run_service`: every page answers a service's errors the same way."""

import json

import pytest
from django import forms
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.http import Http404

from accreditation.web import run_service
from core.errors import (
    ConflictError,
    FileRejected,
    GuardFailed,
    InvalidTransition,
    NotAllowed,
    NotVisible,
    Unmet,
)

UNMET = [Unmet("missing_standard", "Standard 1 has no self-assessment.")]


class NameForm(forms.Form):
    name = forms.CharField()


@pytest.fixture
def request_(rf):
    request = rf.post("/anything/")
    request.user = AnonymousUser()
    return request


def raising(error):
    def call():
        raise error

    return call


def test_a_service_that_succeeds_hands_back_its_result(request_):
    outcome = run_service(request_, lambda: 42)
    assert outcome.ok and outcome.result == 42 and outcome.refusal is None


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (NotAllowed("Only a coordinator may do this."), 403),
        (InvalidTransition(), 409),
        (ConflictError("The panel is closed."), 409),
        (FileRejected("The file is too large.", status_code=413, code="too_large"), 413),
        (FileRejected("Only PDF files are accepted."), 415),
    ],
)
def test_a_refusal_is_a_page_with_its_status_its_detail_and_a_way_back(request_, error, status):
    outcome = run_service(request_, raising(error), form=NameForm({"name": "x"}), back="/back/")
    html = outcome.refusal.content.decode()
    assert not outcome.ok
    assert outcome.refusal.status_code == status
    assert error.detail in html and f"(HTTP {status})" in html and 'href="/back/"' in html


def test_an_object_the_user_may_not_see_is_a_plain_404(request_):
    with pytest.raises(Http404):
        run_service(request_, raising(NotVisible()))


def test_a_validation_error_goes_next_to_the_field_of_the_form(request_):
    form = NameForm({"name": "x"})
    assert form.is_valid()
    outcome = run_service(
        request_, raising(ValidationError({"name": ["Taken."]})), form=form, back="/back/"
    )
    assert not outcome.ok and outcome.refusal is None
    assert form.errors == {"name": ["Taken."]}


def test_a_validation_error_without_a_form_is_a_refusal_page_with_its_messages(request_):
    error = ValidationError({"stage": ["Not now."], "version": ["Too old."]})
    outcome = run_service(request_, raising(error), back="/back/")
    html = outcome.refusal.content.decode()
    assert outcome.refusal.status_code == 400
    assert "Not now.; Too old." in html


def test_a_failed_guard_is_listed_on_the_refusal_page_by_default(request_):
    outcome = run_service(request_, raising(GuardFailed(UNMET)), form=NameForm({"name": "x"}))
    html = outcome.refusal.content.decode()
    assert outcome.refusal.status_code == 400
    assert 'data-code="missing_standard"' in html


def test_a_failed_guard_can_be_shown_on_the_confirmation_page_again(request_):
    outcome = run_service(
        request_,
        raising(GuardFailed(UNMET, detail="submit is refused.")),
        template="web/refused.html",
        context={"title": "Confirm", "status": 400},
    )
    html = outcome.refusal.content.decode()
    assert outcome.refusal.status_code == 400
    assert "Confirm" in html and "submit is refused." in html
    assert 'data-code="missing_standard"' in html


def test_a_failed_guard_can_be_put_on_the_form(request_):
    form = NameForm({"name": "x"})
    assert form.is_valid()
    outcome = run_service(
        request_,
        raising(GuardFailed(UNMET, detail="A conflict of interest.")),
        form=form,
        guard_on_form=True,
    )
    assert not outcome.ok and outcome.refusal is None
    assert outcome.unmet == UNMET
    assert form.non_field_errors() == ["A conflict of interest."]


def test_a_script_gets_refusals_and_validation_errors_as_json(request_):
    refused = run_service(request_, raising(ConflictError("Closed.")), json=True)
    assert refused.refusal.status_code == 409
    assert json.loads(refused.refusal.content) == {"detail": "Closed."}
    invalid = run_service(
        request_, raising(ValidationError({"rationale": ["Say why."]})), json=True
    )
    assert invalid.refusal.status_code == 400
    assert json.loads(invalid.refusal.content) == {"errors": {"rationale": ["Say why."]}}


def test_a_script_with_a_form_gets_validation_errors_on_the_form(request_):
    form = NameForm({"name": "x"})
    assert form.is_valid()
    outcome = run_service(
        request_, raising(ValidationError({"name": ["Taken."]})), form=form, json=True
    )
    assert outcome.refusal is None and form.errors == {"name": ["Taken."]}
