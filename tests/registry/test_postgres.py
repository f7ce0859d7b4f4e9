"""PostgreSQL-only behaviour: the search indexes, concurrent projection runs, the
prepared verify statement."""

import threading
from unittest import mock

import pytest
from django.db import connection, connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accreditation.models import ProviderIdentifier
from registry import services
from registry.api import SUFFIX_CHARS, prefix_tsquery
from registry.models import RegistryEvent, RegistryProvider
from registry.services import registry_rebuild, registry_sync
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
    # Build the history without after-commit reactions (rendering, publication), then
    # drop what the transitions projected, so the concurrent runs below are the only
    # projections.
    with mock.patch("django.db.transaction.on_commit"):
        for n in range(6):
            provider = history.provider(name=f"P{n}", identifier=f"p{n}.example.org")
            _, _, acc = history.decide(provider, when=day("2025-01-10"))
            history.change(acc, "suspend", when=day("2025-02-10"))
    RegistryProvider.objects.all().delete()
    RegistryEvent.objects.all().delete()
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
    course = history.course(provider)
    url = "/api/v1/registry/verify/?identifier=schac:uni.example.org"
    asks = ("", "&at=2025-01-09", "&at=2025-06-01", f"&course={course.pk}", f"&course={course.uid}")
    for ask in asks:  # one statement per kind: no course, a course's id, a course's uid
        assert api.get(url + ask).status_code == 200
    verify_statements = [s for s in _prepared_statements() if "rp.timeline" in s]
    assert len(verify_statements) == 3
    for ask in asks:
        assert api.get(url + ask + "&at=2025-02-01").json()["trusted"] is True
    assert len([s for s in _prepared_statements() if "rp.timeline" in s]) == 3
    for _ in range(10):
        list(RegistryEvent.objects.filter(provider=provider))
    assert len(_prepared_statements()) == 3


@pytest.mark.django_db
def test_prepared_statements_can_be_turned_off(api, history, settings):
    _require_postgres()
    settings.REGISTRY_PREPARED_STATEMENTS = False
    provider = history.provider()
    history.decide(provider, when=day("2025-01-10"))
    history.publish()
    before = _prepared_statements()  # (what earlier tests on this connection prepared)
    url = "/api/v1/registry/verify/?identifier=schac:uni.example.org"
    assert api.get(url).json()["trusted"] is True
    assert api.get(url + "&at=2025-01-09").json()["status"] == "none"
    assert api.get(url + "&course=1&at=2025-01-09").json()["status"] == "none"
    assert _prepared_statements() == before


def _questions(history):
    """Questions of every kind over one history: no course, a course by id and by uid,
    before, during and after an accreditation, an unknown identifier."""
    provider = history.provider()
    course = history.course(provider)
    _, _, acc = history.decide(provider, when=day("2025-01-10"))
    history.change(acc, "suspend", when=day("2025-03-01"))
    history.publish()
    moments = [day("2025-01-09"), day("2025-02-01"), day("2025-04-01"), None]
    courses = [None, course.pk, course.uid]
    asked = [("schac", "uni.example.org", c, m) for c in courses for m in moments]
    return [*asked, ("schac", "nobody.example.org", None, None)]


def _rows(questions):
    from django.utils import timezone

    return [
        services._verify_row(scheme, value, course, at or timezone.now())
        for scheme, value, course, at in questions
    ]


@pytest.mark.django_db
def test_libpq_statement_reads_what_a_cursor_reads(history, settings):
    """The verify row read by libpq (registry.statements) is the row a Django cursor
    reads, column for column, for every kind of question."""
    _require_postgres()
    questions = _questions(history)
    fast = _rows(questions)
    assert len([s for s in _prepared_statements() if "rp.timeline" in s]) == 3
    settings.REGISTRY_PREPARED_STATEMENTS = False
    through_cursor = _rows(questions)
    assert fast == through_cursor
    assert [row[0] is not None for row in fast] == [True] * 12 + [False]
    assert fast[4][1] is not None and fast[8][1] is not None  # the course, by id and uid


@pytest.mark.django_db
def test_libpq_statement_is_logged_and_seen_by_execute_wrappers(api, history):
    """Query logging (DEBUG, assertNumQueries) sees the statement as it sees a cursor's;
    an execute wrapper sees it too (it then runs through a cursor)."""
    _require_postgres()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    questions = _questions(history)
    url = "/api/v1/registry/verify/?identifier=schac:uni.example.org&at=2025-02-01"
    with CaptureQueriesContext(connection) as captured:
        assert api.get(url, HTTP_CACHE_CONTROL="no-cache").json()["trusted"] is True
    assert len(captured) == 1
    assert "rp.timeline" in captured[0]["sql"] and "'uni.example.org'" in captured[0]["sql"]
    seen = []

    def wrapper(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        rows = _rows(questions)
    assert len(seen) == len(questions) and all("rp.timeline" in sql for sql in seen)
    assert rows == _rows(questions)


def _accredited_question(history):
    """A published accreditation and a verify question it answers `trusted`."""
    history.decide(history.provider(), when=day("2025-01-10"))
    history.publish()
    return {"scheme": "schac", "value": "uni.example.org", "at": day("2025-02-01")}


def _end_backend(pid):
    """End PostgreSQL backend `pid` from another connection, as the server would."""
    import psycopg

    params = connection.get_connection_params()
    keys = ("host", "port", "user", "dbname", "password")
    with psycopg.connect(autocommit=True, **{k: params[k] for k in keys if k in params}) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_verify_after_its_connection_was_killed(history):
    """The server ends verify's connection: the question fails with Django's database
    error, the connection is replaced at the end of the request as any broken one is,
    and the next question is answered on the new connection (its statements prepared
    anew)."""
    _require_postgres()
    from django.db import OperationalError

    question = _accredited_question(history)
    assert services.verify(**question, fresh=True)["trusted"] is True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    _end_backend(pid)
    with pytest.raises(OperationalError):
        services.verify(**question, fresh=True)
    assert connection.errors_occurred
    connection.close_if_unusable_or_obsolete()  # what request_finished runs
    assert connection.connection is None
    assert services.verify(**question, fresh=True)["trusted"] is True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_verify_honours_connection_health_checks(history):
    """With CONN_HEALTH_CHECKS on, a connection the server ended between two requests
    is replaced before verify's first statement in the next request, as before any
    cursor's, and the question is answered."""
    _require_postgres()
    question = _accredited_question(history)
    checks = connection.settings_dict["CONN_HEALTH_CHECKS"]
    connection.settings_dict["CONN_HEALTH_CHECKS"] = True
    try:
        connection.close()
        assert services.verify(**question, fresh=True)["trusted"] is True
        assert connection.health_check_enabled
        pid = connection.connection.info.backend_pid
        _end_backend(pid)
        connection.close_if_unusable_or_obsolete()  # the end of the request: kept
        assert connection.connection is not None
        assert services.verify(**question, fresh=True)["trusted"] is True
        assert connection.connection.info.backend_pid != pid
    finally:
        connection.settings_dict["CONN_HEALTH_CHECKS"] = checks
        connection.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_verify_statements_prepared_again_after_deallocate(history):
    """A session reset (`DEALLOCATE ALL`, `DISCARD ALL` as a pooler in session mode
    runs it between clients) forgets the prepared statements: verify prepares them
    again instead of failing."""
    _require_postgres()
    question = _accredited_question(history)
    assert services.verify(**question, fresh=True)["trusted"] is True
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    assert not [s for s in _prepared_statements() if "rp.timeline" in s]
    assert services.verify(**question, fresh=True)["trusted"] is True
    assert len([s for s in _prepared_statements() if "rp.timeline" in s]) == 1


@pytest.mark.django_db
def test_libpq_statement_through_the_connection_proxy_is_prepared_once():
    """`django.db.connection` (the proxy of the default connection) serves as well as
    the connection itself: the statement is prepared once, not again on every call."""
    from registry import statements

    _require_postgres()
    for db in (connection, connections["default"], connection):
        assert statements.fetch_one(db, "SELECT %s", ["7"], (int,)) == (7,)
    assert len([s for s in _prepared_statements() if s == "SELECT $1"]) == 1


# Text as names and identifiers hold it, with the characters a tsquery could trip on.
_TEXT = st.text(
    alphabet=st.sampled_from("abcé.:-'\\&|!()*<> \t\u00a0\u2003") | st.characters(codec="utf-8"),
    max_size=60,
).map(lambda t: t.replace("\x00", ""))


_NOT_IN_ANY_TEXT = "zq'x\\"


def _provider_search_text(name, scheme, value):
    """A provider's search text as the projection writes it (name, then identifiers)."""
    return " ".join([name.lower(), f"{scheme}:{value}".lower()])


@pytest.mark.django_db
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    name=_TEXT,
    identifier=st.tuples(st.sampled_from(ProviderIdentifier.Scheme.values), _TEXT),
    positive=st.booleans(),
    picks=st.lists(st.tuples(st.integers(0, 80), st.integers(1, 40)), max_size=3),
)
def test_indexed_suffixes_find_exactly_the_substring_matches(name, identifier, positive, picks):
    """Migration 0004's suffix index stands in for LIKE '%word%' on PostgreSQL: for words
    as search_filter makes them (no white space, up to 32 characters) the index
    condition matches exactly when every word is a substring. Half of the cases search
    for words cut from the provider's name and identifier (each must be found), half add
    a word that is in no text (none may be)."""
    _require_postgres()
    text = _provider_search_text(name, *identifier)
    words = [text[start : start + size] for start, size in picks]
    if not positive:
        words.append(_NOT_IN_ANY_TEXT)
    words = [w for part in words for w in part.split() if len(w) <= SUFFIX_CHARS]
    if positive and not words:
        words = [text.split()[-1][:SUFFIX_CHARS]]  # the identifier is never blank
    if not positive and (not words or _NOT_IN_ANY_TEXT in text):
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT registry_search_terms(%s) @@ %s::tsquery", [text, prefix_tsquery(words)]
        )
        (found,) = cursor.fetchone()
    assert all(w in text for w in words) is positive
    assert found is positive, (text, words)


@pytest.mark.django_db
def test_search_terms_are_written_by_the_database_and_used_by_search(api, history):
    _require_postgres()
    provider = history.provider(name="Hanze Learning Centre", identifier="hanze-lc.example.org")
    history.decide(provider)
    history.publish()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT search_terms @@ 'earn:*'::tsquery FROM registry_registryprovider "
            "WHERE provider_id = %s",
            [provider.pk],
        )
        assert cursor.fetchone() == (True,)
    for q in ("earn", "lc.example", "hanze centre", "HANZE"):
        body = api.get("/api/v1/registry/providers/", {"q": q}).json()
        assert [r["id"] for r in body["results"]] == [provider.pk], q
    assert api.get("/api/v1/registry/providers/", {"q": "hanze zz"}).json()["results"] == []


@pytest.mark.django_db(transaction=True)
def test_verify_never_sees_a_rebuild_half_done(history, monkeypatch):
    """registry_rebuild wipes and replays in one transaction: a verifier on another
    connection keeps getting the same answers all through it, never `none`."""
    _require_postgres()
    questions = []
    with mock.patch("django.db.transaction.on_commit"):
        for n in range(12):
            identifier = f"r{n}.example.org"
            provider = history.provider(name=f"R{n}", identifier=identifier)
            _, _, acc = history.decide(provider, when=day("2025-01-10"))
            history.change(acc, "suspend", when=day("2025-02-10"))
            questions += [(identifier, day("2025-01-20")), (identifier, day("2025-03-01"))]
    expected = {q: _answer(*q) for q in questions}
    assert {a["status"] for a in expected.values()} == {"active", "suspended"}
    monkeypatch.setattr(services, "SYNC_BATCH", 3)  # many batches: a long rebuild
    stop, seen, errors = threading.Event(), [], []

    def verifier():
        try:
            while not stop.is_set():
                for question, answer in expected.items():
                    got = _answer(*question)
                    seen.append(got == answer)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=verifier)
    thread.start()
    try:
        for _ in range(3):
            assert registry_rebuild() == 36
    finally:
        stop.set()
        thread.join()
    assert errors == []
    assert seen and all(seen), f"{seen.count(False)} of {len(seen)} answers changed"


def _answer(identifier, at):
    answer = services.verify(scheme="schac", value=identifier, at=at, fresh=True)
    return {k: answer[k] for k in ("trusted", "status", "accreditation")}


@pytest.mark.django_db(transaction=True)
def test_two_providers_racing_for_one_identifier_one_wins():
    """The database keeps one identifier in force for one provider: of two concurrent
    claims exactly one succeeds, the other is a 400 naming `identifiers`."""
    _require_postgres()
    from django.core.exceptions import ValidationError

    from accreditation.models import ProviderIdentifier
    from accreditation.services import provider_update
    from tests.factories import ProviderFactory, UserFactory

    coordinator = UserFactory(roles=["coordinator"])
    rivals = [ProviderFactory(), ProviderFactory()]
    barrier = threading.Barrier(2)
    outcomes, errors = [], []

    def claim(provider):
        try:
            barrier.wait(timeout=10)
            provider_update(
                provider=provider,
                actor=coordinator,
                data={"identifiers": [{"scheme": "schac", "value": "contested.example.org"}]},
            )
            outcomes.append(("won", provider.pk))
        except ValidationError as exc:
            outcomes.append(("refused", sorted(exc.message_dict)))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=claim, args=(p,)) for p in rivals]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(kind for kind, _ in outcomes) == ["refused", "won"]
    assert ("refused", ["identifiers"]) in outcomes
    winner = next(pk for kind, pk in outcomes if kind == "won")
    rows = ProviderIdentifier.history.filter(value="contested.example.org")
    assert [(r.provider_id, r.valid_until) for r in rows] == [(winner, None)]
