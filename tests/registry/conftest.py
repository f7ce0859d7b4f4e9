"""Build accreditation histories through the real services, then publish them.

Decisions go through `application_transition` (accredit, accredit_with_conditions,
reject, uphold_appeal) and status changes through `accreditation_transition`, both as
`demo.scenario` fires them; the only shortcuts are the ones the review itself would
produce (the application brought to `decision_pending` with a ready final report, by
`demo.scenario`'s `ready_report` and `skip_to_state`). `History.backdate` moves the logged
times of what was just done into the past, so tests can ask about dates before and
after each change.
"""

import datetime

import pytest
from django.core.cache import cache
from django.utils import timezone

from accreditation.models import (
    Accreditation,
    AccreditationTransition,
    Application,
    ApplicationTransition,
    Decision,
)
from demo.scenario import fire, fire_accreditation, ready_report, skip_to_state
from registry.services import registry_sync
from reviews.models import Report
from tests.factories import (
    ApplicationFactory,
    CourseFactory,
    IdentifierFactory,
    ProviderFactory,
    UserFactory,
)

UTC = datetime.UTC


def day(text, hour=12):
    d = datetime.date.fromisoformat(text)
    return datetime.datetime(d.year, d.month, d.day, hour, tzinfo=UTC)


class History:
    def __init__(self):
        self.decider = UserFactory(roles=["decision_body"])
        self.appeals = UserFactory(roles=["appeals_committee"])

    def provider(self, name="Example University", country="NL", identifier="uni.example.org"):
        provider = ProviderFactory(legal_name=name, country=country)
        IdentifierFactory(provider=provider, scheme="schac", value=identifier)
        return provider

    def course(self, provider, **kwargs):
        return CourseFactory(provider=provider, **kwargs)

    def _pending(self, provider, course=None):
        if course is None:
            application = ApplicationFactory(
                kind=Application.Kind.PROVIDER, provider=provider, course=None
            )
        else:
            application = ApplicationFactory(provider=provider, course=course)
        ready_report(application, Report.Stage.FINAL)
        return skip_to_state(application, "decision_pending")

    def decide(
        self,
        provider,
        *,
        course=None,
        name="accredit",
        when=None,
        valid_until=None,
        eqf_levels=(),
        isced_fields=(),
        conditions=None,
    ):
        """Take a decision; returns (application, decision, accreditation or None)."""
        application = self._pending(provider, course)
        data = {"eqf_levels": list(eqf_levels), "isced_fields": list(isced_fields)}
        if name == "reject":
            data = {"rationale": "The standards are not met."}
        if name == "accredit_with_conditions":
            due = (timezone.now() + datetime.timedelta(days=90)).date().isoformat()
            data["conditions"] = conditions or [
                {"text": "Publish the exam rules.", "due_date": due}
            ]
        fire(application, name, self.decider, **data)
        decision = Decision.objects.filter(application=application).latest("id")
        accreditation = Accreditation.objects.filter(decision=decision).first()
        if when is not None or valid_until is not None:
            self.backdate_decision(decision, when, valid_until)
            if accreditation is not None:
                accreditation.refresh_from_db()
        return application, decision, accreditation

    def backdate_decision(self, decision, when, valid_until=None):
        when = when or decision.decided_at
        valid_from = when.date() if decision.outcome != "negative" else None
        until = valid_until or (
            when.date().replace(year=when.year + 5) if decision.outcome != "negative" else None
        )
        Decision.objects.filter(pk=decision.pk).update(
            decided_at=when, valid_from=valid_from, valid_until=until
        )
        ApplicationTransition.objects.filter(
            application_id=decision.application_id,
            transition__in=["accredit", "reject", "accredit_with_conditions"],
        ).update(at=when)
        for acc in Accreditation.objects.filter(decision=decision):
            Accreditation.objects.filter(pk=acc.pk).update(valid_from=valid_from, valid_until=until)
            AccreditationTransition.objects.filter(accreditation=acc, transition="create").update(
                at=when
            )

    def change(self, accreditation, name, *, when=None, comment="Reason given.", reason="other"):
        fire_accreditation(
            accreditation,
            name,
            None if name == "expire" else self.decider,
            comment=comment,
            reason=reason,
        )
        log = AccreditationTransition.objects.filter(accreditation=accreditation).latest("id")
        if when is not None:
            AccreditationTransition.objects.filter(pk=log.pk).update(at=when)
        accreditation.refresh_from_db()
        return log

    def publish(self):
        return registry_sync()


@pytest.fixture
def history(db):
    return History()


@pytest.fixture(autouse=True)
def _clear_cache():
    """Throttle counters live in the cache and the signing key in a per-process cache:
    every test starts with a clean slate (its database starts without keys)."""
    from registry import signing

    cache.clear()
    signing._cache.update(key=None, loaded=0.0, jwks=None)
    yield
    cache.clear()
    signing._cache.update(key=None, loaded=0.0, jwks=None)
