"""The verify answer cache: what it keeps, and that PostgreSQL's notifications throw it
away whenever what an answer was read from changes (registry.verify_cache)."""

import datetime
import gc
import time
import uuid
from unittest import mock

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from accreditation.models import Course, ProviderIdentifier
from registry import services, verify_cache
from registry.models import RegistryEvent, RegistryProvider, StatusListIndex
from registry.verify_cache import AnswerCache
from tests.registry.conftest import day

URL = "/api/v1/registry/verify/"
NOW = datetime.datetime(2026, 6, 1, 12, tzinfo=datetime.UTC)


# --------------------------------------------------------------------------- the store


def ready_cache(**kwargs):
    cache = AnswerCache(**kwargs)
    cache.ready = True
    return cache


def test_nothing_is_served_or_stored_while_not_listening():
    cache = AnswerCache()
    assert not cache.put("k", {"a": 1}, generation=0, expires=NOW + datetime.timedelta(1))
    cache.ready = True
    assert cache.put("k", {"a": 1}, generation=0, expires=NOW + datetime.timedelta(1))
    cache.ready = False
    assert cache.get("k", NOW) is None


def test_an_answer_read_before_an_invalidation_is_not_stored():
    cache = ready_cache()
    generation = cache.generation
    cache.invalidate()  # a change committed while the answer was being read
    assert not cache.put("k", {"a": 1}, generation=generation, expires=NOW + datetime.timedelta(1))
    assert cache.get("k", NOW) is None
    assert cache.put(
        "k", {"a": 2}, generation=cache.generation, expires=NOW + datetime.timedelta(1)
    )
    assert cache.get("k", NOW) == {"a": 2}


def test_an_answer_is_not_served_from_the_moment_it_expires():
    cache = ready_cache()
    cache.put("k", {"a": 1}, generation=0, expires=NOW)
    assert cache.get("k", NOW - datetime.timedelta(microseconds=1)) == {"a": 1}
    assert cache.get("k", NOW) is None


def test_invalidation_empties_the_cache_and_a_full_cache_drops_its_oldest():
    cache = ready_cache(max_entries=3)
    later = NOW + datetime.timedelta(1)
    for key in "abcd":
        cache.put(key, {"k": key}, generation=0, expires=later)
    assert len(cache) == 3
    assert cache.get("a", NOW) is None and cache.get("d", NOW) == {"k": "d"}
    cache.invalidate()
    assert len(cache) == 0 and cache.get("d", NOW) is None


def test_a_full_cache_drops_its_oldest_tenth_at_once_and_keeps_the_order_of_the_rest():
    cache = ready_cache(max_entries=20)
    later = NOW + datetime.timedelta(1)
    for n in range(21):
        cache.put(n, {"n": n}, generation=0, expires=later)
    assert len(cache) == 19  # 0 and 1 dropped to make room for 20
    assert [n for n in range(21) if cache.get(n, NOW) is not None] == list(range(2, 21))
    cache.put(5, {"n": "again"}, generation=0, expires=later)  # a stored key: no drop
    assert len(cache) == 19 and cache.get(5, NOW) == {"n": "again"}
    cache.put(21, {"n": 21}, generation=0, expires=later)
    cache.put(22, {"n": 22}, generation=0, expires=later)  # full again: 2 and 3 go
    assert [n for n in range(23) if cache.get(n, NOW) is not None] == list(range(4, 23))


def test_each_reader_gets_its_own_copy_of_an_answer():
    cache = ready_cache()
    answer = {"provider": {"identifiers": [{"scheme": "schac", "value": "a.example.org"}]}}
    cache.put("k", answer, generation=0, expires=NOW + datetime.timedelta(1))
    answer["provider"]["identifiers"].clear()  # the caller's object, after storing it
    first = cache.get("k", NOW)
    first["provider"]["identifiers"][0]["value"] = "changed by a caller"
    first["as_of"] = "a stamp"
    expected = {"provider": {"identifiers": [{"scheme": "schac", "value": "a.example.org"}]}}
    assert cache.get("k", NOW) == expected


def test_kept_answers_give_the_garbage_collector_nothing_to_traverse():
    """A thousand nested answers add (almost) no object that the collector tracks: as
    objects they would add a dozen each, and every full collection of a busy web
    process would walk them all."""
    cache = ready_cache()
    later = NOW + datetime.timedelta(1)
    gc.collect()
    before = len(gc.get_objects())
    for n in range(1000):
        answer = {
            "trusted": True,
            "provider": {"id": n, "identifiers": [{"scheme": "schac", "value": f"{n}.org"}]},
            "accreditation": {"id": n, "eqf_levels": [5, 6], "conditions": [], "report": None},
        }
        cache.put(
            ("schac", f"{n}.org", str(uuid.uuid4()), None), answer, generation=0, expires=later
        )
    del answer
    gc.collect()  # stops tracking tuples of plain values
    assert len(cache) == 1000
    assert len(gc.get_objects()) - before < 50


def test_an_answer_of_other_than_plain_values_is_refused():
    cache = ready_cache()
    record = {"id": 1, "_last_modified": NOW}  # marshal writes no datetime
    with pytest.raises(ValueError):
        cache.put("k", record, generation=0, expires=NOW + datetime.timedelta(1))
    assert cache.get("k", NOW) is None and len(cache) == 0


@pytest.mark.django_db
def test_no_cache_where_the_database_cannot_notify_or_inside_a_transaction():
    with override_settings(REGISTRY_VERIFY_CACHE=True):
        if connection.vendor != "postgresql":
            assert verify_cache.answer_cache() is None  # SQLite: never
        with transaction.atomic():  # its reads may include its own uncommitted changes
            assert verify_cache.answer_cache() is None
    assert verify_cache.answer_cache() is None  # turned off


# --------------------------------------------------------------------------- PostgreSQL


def quietly():
    """Build a history without after-commit reactions (the projection), so that the
    back-dating lands before `history.publish()` projects it."""
    return mock.patch("django.db.transaction.on_commit")


@pytest.fixture
def cached(transactional_db):
    """The cache on, its listener listening on the test database; stopped afterwards
    (its connection would keep the test database from being dropped)."""
    assert connection.vendor == "postgresql", "this test needs DATABASE_URL on PostgreSQL"
    with override_settings(REGISTRY_VERIFY_CACHE=True):
        verify_cache.stop()
        cache = verify_cache.answer_cache()
        assert verify_cache.wait_until_listening(), "the listener did not start"
        yield cache
        verify_cache.stop()


def ask(api, identifier="schac:uni.example.org", headers=None, **params):
    response = api.get(URL, {"identifier": identifier, **params}, headers=headers or {})
    assert response.status_code == 200, response.content
    body = response.json()
    body.pop("checked_at")
    return body


def eventually(check, timeout=5.0):
    """`check()` once it holds (the listener runs in its own thread), or its last value."""
    deadline = time.monotonic() + timeout
    while not (result := check()) and time.monotonic() < deadline:
        time.sleep(0.02)
    return result


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_repeated_question_is_answered_without_the_database(
    cached, api, history, django_assert_num_queries
):
    with quietly():
        history.decide(history.provider(), when=day("2025-01-10"))
    since = cached.generation
    history.publish()
    settle(cached, since)
    first = ask(api)
    assert first["status"] == "active"
    with django_assert_num_queries(0):
        again = ask(api)
    assert again["trusted"] is True and again["accreditation"] == first["accreditation"]
    # `Cache-Control: no-cache` reads the database
    with django_assert_num_queries(1):
        assert ask(api, headers={"Cache-Control": "no-cache"})["status"] == "active"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_suspension_replaces_the_cached_answer(cached, api, history):
    with quietly():
        _, _, acc = history.decide(history.provider(), when=day("2025-01-10"))
    history.publish()
    assert ask(api)["trusted"] is True
    assert ask(api, at="2025-03-01")["trusted"] is True
    history.change(acc, "suspend")  # projected after commit (eager task), then notified
    assert eventually(lambda: ask(api)["status"] == "suspended")
    assert ask(api, at="2025-03-01")["status"] == "active"  # before the suspension
    history.change(acc, "revoke")
    assert eventually(lambda: ask(api)["status"] == "revoked")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_new_identifier_replaces_a_cached_unknown(cached, api, history):
    provider = history.provider()
    with quietly():
        history.decide(provider, when=day("2025-01-10"))
    history.publish()
    assert ask(api, "schac:new.example.org")["status"] == "none"
    ProviderIdentifier.objects.create(provider=provider, scheme="schac", value="new.example.org")
    assert eventually(lambda: ask(api, "schac:new.example.org")["status"] == "active")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("model", [RegistryEvent, RegistryProvider, ProviderIdentifier, Course])
def test_any_committed_change_to_what_verify_reads_empties_the_cache(cached, model):
    generation = cached.generation
    with connection.cursor() as cursor:  # a statement that changes no row still notifies
        cursor.execute(f"UPDATE {model._meta.db_table} SET {model._meta.pk.column} = 0 WHERE false")  # noqa: S608
    assert eventually(lambda: cached.generation > generation)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_does_not_notify(cached):
    generation = cached.generation
    with pytest.raises(RuntimeError), transaction.atomic():
        RegistryProvider.objects.update(status="none")
        raise RuntimeError
    with connection.cursor() as cursor:  # a committed change after it: the only one
        cursor.execute("UPDATE accreditation_course SET id = 0 WHERE false")
    assert eventually(lambda: cached.generation > generation)
    assert cached.generation == generation + 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@override_settings(REGISTRY_VERIFY_CACHE_SECONDS=30 * 86400)
def test_an_answer_as_of_now_is_not_kept_past_the_expiry_it_would_show(
    cached, history, django_assert_num_queries
):
    today = timezone.now().date()
    until = today + datetime.timedelta(2)
    with quietly():
        history.decide(history.provider(), when=day("2025-01-10"), valid_until=until)
    since = cached.generation
    history.publish()
    settle(cached, since)
    ask_now = {"scheme": "schac", "value": "uni.example.org"}
    assert services.verify(**ask_now)["status"] == "active"
    assert len(cached) == 1
    # Valid through the whole of the valid_until day: it expires when that day ends.
    expiry = datetime.datetime.combine(
        until + datetime.timedelta(days=1), datetime.time.min, tzinfo=datetime.UTC
    )
    just_before = expiry - datetime.timedelta(seconds=1)
    with (
        mock.patch("django.utils.timezone.now", return_value=just_before),
        django_assert_num_queries(0),  # still the cached answer
    ):
        assert services.verify(**ask_now)["status"] == "active"
    with mock.patch("django.utils.timezone.now", return_value=expiry):
        assert services.verify(**ask_now)["status"] == "expired"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_lost_listener_connection_stops_the_cache_until_it_listens_again(cached, api, history):
    with quietly():
        history.decide(history.provider(), when=day("2025-01-10"))
    history.publish()
    ask(api)
    listener_pid = eventually(_listener_backend)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [listener_pid])
    assert eventually(lambda: not cached.ready)
    assert ask(api)["status"] == "active"  # answered from the database meanwhile
    assert eventually(lambda: cached.ready)  # it reconnects by itself
    assert eventually(lambda: _listener_backend() not in (None, listener_pid))


def settle(cache, since):
    """Wait until the notifications of what was committed since generation `since`
    have all been handled (the generation moved on, then stayed for 0.2 s)."""
    assert eventually(lambda: cache.generation > since)
    while True:
        seen = cache.generation
        time.sleep(0.2)
        if cache.generation == seen:
            return


def _listener_backend():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s "
            "AND datname = current_database()",
            [verify_cache.APPLICATION_NAME],
        )
        row = cursor.fetchone()
    return row[0] if row else None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_listener_trusts_only_a_connection_that_hears_its_own_probe():
    assert connection.vendor == "postgresql", "this test needs DATABASE_URL on PostgreSQL"
    listener = verify_cache.Listener(AnswerCache())
    with listener._connect() as conn:
        # not listening, as behind a pooler that sent LISTEN to another server connection
        assert not listener._hears_itself(conn, timeout=0.5)
        conn.execute(f"LISTEN {verify_cache.CHANNEL}")
        assert listener._hears_itself(conn, timeout=5.0)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_listener_that_cannot_hear_itself_never_turns_the_cache_on(caplog):
    assert connection.vendor == "postgresql", "this test needs DATABASE_URL on PostgreSQL"
    cache = AnswerCache()
    listener = verify_cache.Listener(cache)
    with mock.patch.object(verify_cache.Listener, "_hears_itself", return_value=False):
        listener.start()
        try:
            assert eventually(lambda: "did not arrive" in caplog.text)
            assert not listener.connected.wait(0.5)
            assert not cache.ready
            assert not cache.put("k", {}, generation=cache.generation, expires=NOW)
        finally:
            listener.stopping.set()
            listener.join(5)
    assert not listener.is_alive()


# --------------------------------------------------------------------------- other answers


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_accreditation_asked_again_costs_no_query_until_it_changes(
    cached, api, history, django_assert_num_queries
):
    """The accreditation record every form is built from is kept like a verify answer:
    JSON and VC-JWT both served without the database, and a suspension replaces it."""
    with quietly():
        _, _, acc = history.decide(history.provider(), when=day("2025-01-10"))
    since = cached.generation
    history.publish()
    settle(cached, since)
    url = f"/api/v1/registry/accreditations/{acc.pk}/"
    vc = {"HTTP_ACCEPT": "application/vc+jwt"}
    assert api.get(url).json()["status"] == "active"
    first_vc = api.get(url, **vc)
    with django_assert_num_queries(0):
        assert api.get(url).json()["status"] == "active"
        assert api.get(url, **vc).content == first_vc.content
    history.change(acc, "suspend", reason="complaint")
    assert eventually(lambda: api.get(url).json()["status"] == "suspended")
    # The credential's status travels in the status lists, so its content stays; its
    # version (the ETag) moves on with the record.
    assert api.get(url, **vc)["ETag"] != first_vc["ETag"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@override_settings(REGISTRY_VERIFY_CACHE_SECONDS=30 * 86400)
def test_a_kept_accreditation_record_is_not_served_past_its_expiry(cached, api, history):
    today = timezone.now().date()
    until = today + datetime.timedelta(2)
    with quietly():
        _, _, acc = history.decide(history.provider(), when=day("2025-01-10"), valid_until=until)
    since = cached.generation
    history.publish()
    settle(cached, since)
    url = f"/api/v1/registry/accreditations/{acc.pk}/"
    assert api.get(url).json()["status"] == "active"
    expiry = datetime.datetime.combine(
        until + datetime.timedelta(days=1), datetime.time.min, tzinfo=datetime.UTC
    )
    with mock.patch("django.utils.timezone.now", return_value=expiry):
        assert api.get(url).json()["status"] == "expired"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_status_list_asked_again_costs_no_query_until_a_status_changes(
    cached, api, history, django_assert_num_queries
):
    from tests.registry.test_status_lists import bit, fetch_list, status_url

    with quietly():
        _, _, acc = history.decide(history.provider(), when=day("2025-01-10"))
    since = cached.generation
    history.publish()
    settle(cached, since)
    index = StatusListIndex.objects.get(accreditation=acc).index
    assert bit(fetch_list(api, "revocation"), index) == 0
    with django_assert_num_queries(0):
        response = api.get(status_url("revocation"))
        assert response.status_code == 200
    assert api.get(status_url("revocation"), HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    history.change(acc, "revoke", reason="fraud")
    assert eventually(lambda: bit(fetch_list(api, "revocation"), index) == 1)
    assert api.get(status_url("revocation"), HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_question_by_course_uid_asked_again_costs_no_query(
    cached, api, history, django_assert_num_queries
):
    provider = history.provider()
    course = history.course(provider)
    with quietly():
        history.decide(provider, course=course, when=day("2025-01-10"))
    since = cached.generation
    history.publish()
    settle(cached, since)
    assert ask(api, course=str(course.uid))["trusted"] is True
    with django_assert_num_queries(0):
        assert ask(api, course=str(course.uid))["trusted"] is True
    # A uid no course has yet is "no course" until one has it (courses notify).
    unknown = "00000000-0000-4000-8000-000000000001"
    assert ask(api, course=unknown)["status"] == "none"
    Course.objects.filter(pk=course.pk).update(uid=unknown)
    assert eventually(lambda: ask(api, course=unknown)["trusted"] is True)
