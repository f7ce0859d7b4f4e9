"""PostgreSQL-only behaviour: the trigram index and concurrent projection runs."""

import threading
from unittest import mock

import pytest
from django.db import connection, connections

from registry.models import RegistryEvent
from registry.services import registry_sync
from tests.registry.conftest import day

pytestmark = pytest.mark.postgres


def _require_postgres():
    assert connection.vendor == "postgresql", "this test needs DATABASE_URL on PostgreSQL"


@pytest.mark.django_db
def test_search_text_has_a_trigram_index():
    _require_postgres()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'registry_provider_search_trgm'"
        )
        (definition,) = cursor.fetchone()
    assert "gin_trgm_ops" in definition


@pytest.mark.django_db(transaction=True)
def test_concurrent_syncs_project_each_row_once_with_gapless_seq(history):
    _require_postgres()
    # Build the history without after-commit reactions (rendering, publication), so
    # the concurrent runs below are the only projections.
    with mock.patch("django.db.transaction.on_commit"):
        for n in range(6):
            provider = history.provider(name=f"P{n}", identifier=f"p{n}.example.org")
            _, _, acc = history.decide(provider, when=day("2025-01-10"))
            history.change(acc, "suspend", when=day("2025-02-10"))
    assert not RegistryEvent.objects.exists()
    counts, errors = [], []

    def run():
        try:
            counts.append(registry_sync())
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(counts) == 18  # 6 decisions, 6 creations, 6 suspensions: each once
    seqs = list(RegistryEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, 19))


def _prepared_statements():
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db
def test_verify_query_is_prepared_once_per_connection(api, history):
    """Planning the verify join costs more than running it: the statement is prepared
    on the connection and reused, and Django's own queries are still not prepared."""
    _require_postgres()
    provider = history.provider()
    history.decide(provider, when=day("2025-01-10"))
    history.publish()
    url = "/api/v1/registry/verify/?identifier=schac:uni.example.org"
    for at in ("", "&at=2025-01-09", "&at=2025-06-01"):
        assert api.get(url + at).status_code == 200
    verify_statements = [s for s in _prepared_statements() if "registry_registryevent" in s]
    assert len(verify_statements) == 1
    assert api.get(url).json()["trusted"] is True
    assert len([s for s in _prepared_statements() if "registry_registryevent" in s]) == 1
    for _ in range(10):
        list(RegistryEvent.objects.filter(provider=provider))
    assert len(_prepared_statements()) == 1


@pytest.mark.django_db
def test_prepared_statements_can_be_turned_off(api, history, settings):
    _require_postgres()
    settings.REGISTRY_PREPARED_STATEMENTS = False
    provider = history.provider()
    history.decide(provider, when=day("2025-01-10"))
    history.publish()
    url = "/api/v1/registry/verify/?identifier=schac:uni.example.org"
    assert api.get(url).json()["trusted"] is True
    assert api.get(url + "&at=2025-01-09").json()["status"] == "none"
    assert _prepared_statements() == []
