"""The data migrations carry existing records over to the new lifecycle."""

import importlib

import pytest
from django.apps import apps

from accreditation.models import Accreditation, AccreditationTransition
from registry.models import RegistryEvent
from registry.services import registry_sync

from .helpers import decided

annulment = importlib.import_module("accreditation.migrations.0004_accreditation_annulled")
registry_annulment = importlib.import_module("registry.migrations.0005_annulled")


def _revoked(application, decider, *, appeal):
    """An accreditation revoked the way the code before `annul` wrote it."""
    accreditation = decided(application, decider)
    Accreditation.objects.filter(pk=accreditation.pk).update(status="revoked")
    payload = {"appeal": 7, "application_log": 1} if appeal else {"reason": "fraud"}
    AccreditationTransition.objects.create(
        accreditation=accreditation,
        transition="revoke",
        from_state="active",
        to_state="revoked",
        comment="The decision that created it was annulled on appeal." if appeal else "Fraud.",
        payload=payload,
    )
    return accreditation


def test_an_accreditation_revoked_by_an_upheld_appeal_becomes_annulled(course_application, decider):
    accreditation = _revoked(course_application, decider, appeal=True)
    registry_sync()
    annulment.revoked_by_appeal_becomes_annulled(apps, None)
    registry_annulment.published_revocations_on_appeal_become_annulments(apps, None)
    accreditation.refresh_from_db()
    assert accreditation.status == "annulled"
    log = accreditation.transitions.order_by("-id").first()
    assert (log.transition, log.to_state) == ("annul", "annulled")
    event = RegistryEvent.objects.get(source=f"acc-log:{log.pk}")
    assert (event.type, event.status) == ("annul", "annulled")


def test_a_revocation_for_cause_stays_a_revocation(course_application, decider):
    accreditation = _revoked(course_application, decider, appeal=False)
    annulment.revoked_by_appeal_becomes_annulled(apps, None)
    accreditation.refresh_from_db()
    assert accreditation.status == "revoked"
    assert accreditation.transitions.order_by("-id").first().transition == "revoke"


@pytest.mark.django_db
def test_existing_identifiers_start_when_their_provider_was_registered():
    from accreditation.models import Provider, ProviderIdentifier
    from tests.factories import IdentifierFactory
    from tests.registry.conftest import day

    identifier = IdentifierFactory()
    Provider.objects.filter(pk=identifier.provider_id).update(created_at=day("2019-05-01"))
    history = importlib.import_module("accreditation.migrations.0005_identifier_history")
    history.identifiers_start_with_their_provider(apps, None)
    assert ProviderIdentifier.objects.get(pk=identifier.pk).valid_from == day("2019-05-01")


@pytest.mark.django_db
def test_existing_providers_get_one_open_identity_period_from_their_registration():
    from accreditation.models import Provider, ProviderIdentity
    from tests.factories import IdentifierFactory, ProviderFactory
    from tests.registry.conftest import day

    identity = importlib.import_module("accreditation.migrations.0007_identity_change_requests")
    provider = ProviderFactory(legal_name="Old Provider", country="BE")
    Provider.objects.filter(pk=provider.pk).update(created_at=day("2024-05-01"))
    IdentifierFactory(provider=provider, scheme="schac", value="old.example.org")
    ended = IdentifierFactory(provider=provider, scheme="schac", value="gone.example.org")
    type(ended).history.filter(pk=ended.pk).update(valid_until=day("2030-01-01"))
    identity.identity_starts_with_the_provider(apps, None)
    period = ProviderIdentity.objects.get(provider=provider)
    assert (period.legal_name, period.country, period.valid_from, period.valid_until) == (
        "Old Provider",
        "BE",
        day("2024-05-01"),
        None,
    )
    assert period.identifiers == [{"scheme": "schac", "value": "old.example.org"}]


# --------------------------------------------------------------------------- Annex I options

annex_options = importlib.import_module(
    "accreditation.migrations.0012_annex_i_and_screening_checklist"
)


@pytest.mark.parametrize(
    ("text", "option"),
    [
        ("Online proctoring with identity check", "supervised_with_identity_verification"),
        ("Invigilated exam on campus; photo ID checked", "supervised_with_identity_verification"),
        ("Supervised, passport shown at the door", "supervised_with_identity_verification"),
        ("Proctored exam, no identity verification", "supervised_no_identity_verification"),
        ("Supervised in class; identity is not checked", "supervised_no_identity_verification"),
        ("Unsupervised online quiz", "unsupervised_no_identity_verification"),
        ("No proctoring; anonymous submission", "unsupervised_no_identity_verification"),
        ("not supervised", "unsupervised_no_identity_verification"),
        ("supervised_no_identity_verification", "supervised_no_identity_verification"),
        (
            "  Supervised with identity verification, on-site or online ",
            "supervised_with_identity_verification",
        ),
        # Not clear enough: kept as text, no option.
        ("Proctored online", None),
        ("Unsupervised, but we check the student's identity card", None),
        ("Supervised or unsupervised depending on the cohort", None),
        ("Identity verified; no identity verification for retakes", None),
        ("Exam at the end", None),
        ("", None),
        (None, None),
    ],
)
def test_free_text_supervision_maps_to_an_option_only_when_it_clearly_says_one(text, option):
    assert annex_options.supervision_option(text) == option


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_existing_supervision_texts_become_options_or_further_information_and_back():
    """The real migration, forward and back, on courses written before it."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("accreditation", "0011_document_kind_site_visit_minutes")]
    after = [("accreditation", "0012_annex_i_and_screening_checklist")]
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate(before)
        old = MigrationExecutor(connection).loader.project_state(before).apps
        provider = old.get_model("accreditation", "Provider").objects.create(
            legal_name="Old University", country="NL", type="university"
        )
        Course = old.get_model("accreditation", "Course")
        texts = {
            "mapped": ("Online proctoring with identity check", ""),
            "kept": ("Proctored online", "See https://example.org"),
            "kept-alone": ("Webcam on during the exam", ""),
            "none": ("", "Nothing to add"),
        }
        ids = {
            key: Course.objects.create(
                provider=provider,
                title=key,
                supervision_identity_verification=text,
                further_information=further,
            ).pk
            for key, (text, further) in texts.items()
        }

        executor = MigrationExecutor(connection)
        executor.migrate(after)
        new = MigrationExecutor(connection).loader.project_state(after).apps
        rows = {
            c.title: (c.supervision_identity_verification, c.further_information)
            for c in new.get_model("accreditation", "Course").objects.filter(pk__in=ids.values())
        }
        prefix = annex_options.KEPT_PREFIX
        assert rows == {
            "mapped": ("supervised_with_identity_verification", ""),
            "kept": (None, f"See https://example.org\n\n{prefix}Proctored online"),
            "kept-alone": (None, f"{prefix}Webcam on during the exam"),
            "none": (None, "Nothing to add"),
        }

        executor = MigrationExecutor(connection)
        executor.migrate(before)
        rows = {
            c.title: (c.supervision_identity_verification, c.further_information)
            for c in Course.objects.filter(pk__in=ids.values())
        }
        assert rows == {
            "mapped": ("Supervised with identity verification, on-site or online", ""),
            "kept": ("Proctored online", "See https://example.org"),
            "kept-alone": ("Webcam on during the exam", ""),
            "none": ("", "Nothing to add"),
        }
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(latest)
