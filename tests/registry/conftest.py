"""Build accreditation histories through the real services, then publish them.

Decisions go through `application_transition` (accredit, accredit_with_conditions,
reject, uphold_appeal) and status changes through `accreditation_transition`, both as
`demo.scenario` fires them; the only shortcuts are the ones the review itself would
produce (the application brought to `decision_pending` with a ready final report, by
`demo.scenario`'s `ready_report` and `skip_to_state`). A step given `when` happens at
that moment (the clock is set back while it runs), so the registry records it then, in
the same transaction, as it would have: tests ask about dates before and after each
change without rewriting anything afterwards.
"""

import contextlib
import datetime
from unittest import mock

import pytest
from django.core.cache import cache
from django.utils import timezone

from accreditation.models import (
    Accreditation,
    AccreditationTransition,
    Application,
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
LONG_AGO = datetime.datetime(2000, 1, 1, tzinfo=UTC)


def day(text, hour=12):
    d = datetime.date.fromisoformat(text)
    return datetime.datetime(d.year, d.month, d.day, hour, tzinfo=UTC)


@contextlib.contextmanager
def at_moment(when):
    """Run the block as if the clock read `when` (nothing changes when it is None)."""
    if when is None:
        yield
        return
    with mock.patch("django.utils.timezone.now", return_value=when):
        yield


class History:
    def __init__(self):
        self.decider = UserFactory(roles=["decision_body"])
        self.appeals = UserFactory(roles=["appeals_committee"])

    def provider(
        self, name="Example University", country="NL", identifier="uni.example.org", since=None
    ):
        """A provider known by `identifier` since `since` (default: long before any
        moment the tests ask about)."""
        provider = ProviderFactory(legal_name=name, country=country)
        IdentifierFactory(
            provider=provider, scheme="schac", value=identifier, valid_from=since or LONG_AGO
        )
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
        """Take a decision (at `when`, default now); returns (application, decision,
        accreditation or None)."""
        with at_moment(when):
            application = self._pending(provider, course)
            data = {"eqf_levels": list(eqf_levels), "isced_fields": list(isced_fields)}
            if valid_until is not None:
                data["valid_until"] = valid_until.isoformat()
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
        return application, decision, accreditation

    def change(self, accreditation, name, *, when=None, comment="Reason given.", reason="other"):
        """Fire `name` on the accreditation (at `when`, default now)."""
        with at_moment(when):
            fire_accreditation(
                accreditation,
                name,
                None if name == "expire" else self.decider,
                comment=comment,
                reason=reason,
            )
        log = AccreditationTransition.objects.filter(accreditation=accreditation).latest("id")
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
    from registry import credentials, signing

    cache.clear()
    signing._cache.update(key=None, loaded=0.0, jwks=None)
    credentials._lists.clear()
    credentials._vcs.clear()
    yield
    cache.clear()
    signing._cache.update(key=None, loaded=0.0, jwks=None)
    credentials._lists.clear()
    credentials._vcs.clear()
