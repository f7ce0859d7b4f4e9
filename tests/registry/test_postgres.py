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
