"""Registry benchmark: `python -m bench.registry [--providers N] [--large-providers M] ...`.

Needs PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test); it
creates its own throwaway database `mcqa_bench_registry` (`MCQA_BENCH_DB`) beside it and
drops it at the end. Only 127.0.0.1 is contacted. Steps:

1. Seeds `--seed-providers` providers (default 2,000) with a history of some ten
   registry events each (`history()`, the one function to extend): identifiers
   end-dated and replaced (some taken over by another provider later), institutional
   accreditations over three cycles (expired, renewed, 10 % after a negative first
   decision), course approvals, suspensions (reinstated, or expired while suspended),
   revocations and annulments on appeal; projects them with `registry_sync` (timed);
   then copies them in SQL (`grow()`: ids, names and identifier values shifted) up to
   `--providers` (default 20,000), as projecting 200,000 events one by one would
   take a quarter of an hour on the 2-core machine.
2. Draws `--questions` (default 250,000) distinct (identifier, course, at) questions
   from that history (ended identifiers, moments inside and outside their validity,
   the provider's own course by id or uid, another's course, unknown identifiers) and
   writes their paths to `bench-results/`.
3. Starts gunicorn on 127.0.0.1 as deployed (`--workers`, default 2 x cores + 1 sync
   workers, which close each connection after its answer) and loads it with 16
   connections for `--seconds` per scenario, taken in turns over `--rounds` rounds so
   that a slow spell of the shared machine falls on all of them: a bare constant
   Django view (`MCQA_BENCH_VIEWS=1`); `verify_hot`, 2,000 of the questions, warmed
   (what the answer cache serves); `verify`, all the questions with the answer cache
   on as in production (nearly every answer is a miss); `verify_nocache`, the same
   with `Cache-Control: no-cache` (every answer read from PostgreSQL); signed verify
   (`Accept: application/jose`); search. The load generator is `wrk` when installed
   (`--client`; Debian package `wrk`, `scripts/system-deps.sh bench`), driven by a Lua
   script that asks the paths of the file in random order, so the client takes little
   of the server's CPU; otherwise an asyncio client in this process. Prints req/s
   (median and per round), p50/p95/p99 and the CPU time per request of the whole stack,
   the ratios against the bare view of the same run, the EXPLAIN plan of the verify
   query (node types and indexes, custom and generic plan) and the query's own time.
4. Grows the registry the same way to `--large-providers` (default 100,000; 0 skips;
   about 1,000,000 events), draws new questions over all of them and measures the
   bare view, `verify` and `verify_nocache` again, with the plan and the verify query
   timed alone in this process (`time_queries`): verify's p50 should stay within 25 %
   of the first size's. The first size is measured again in the same rounds, from a
   copy of its database taken before growing (`snapshot()`) served by a second
   gunicorn, so that a change of the machine's speed between the phases does not
   count as growth (the comparison with the first phase is printed beside it).
5. Streams the export (CSV and JSON Lines) of all registry rows in a fresh process and
   measures its resident memory growth.

Goals (issues 6, 15 and 17): verify >= 60 % of the bare view's req/s and p99 <= 1.5 x
the bare view's p99 (same run); uncached >= 50 %; at 100,000 providers and 1,000,000
events verify p50 <= 125 % of the 20,000 figure; signed >= 80 % of unsigned; search
p95 <= 100 ms; a status list >= 90 % of the bare view; an accreditation as a VC-JWT
>= 80 % of the same as JSON; export of 100,000 rows with < 50 MB memory growth.
Figures are reported, not enforced (the machine decides). The default sizes take 10-16
minutes on the shared 2-core machine; a quick check of the benchmark itself: `--seed-providers 300
--providers 1000 --large-providers 3000 --questions 5000 --seconds 2 --rounds 1`.
The last full run's figures are in README.md ("Benchmarks") and registry/README.md.
"""

import argparse
import asyncio
import datetime
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench-results"
BENCH_DB = os.environ.get("MCQA_BENCH_DB", "mcqa_bench_registry")
CONNECTIONS = 16
HOT_QUESTIONS = 2000
DAY = datetime.timedelta(days=1)
# The index a verify must find the identifier through, whatever the registry's size.
IDENTIFIER_INDEX = "identifier_lookup"


def figure(name, value, unit=""):
    if isinstance(value, float):
        value = f"{value:.3f}"
    print(f"BENCH {name} {value} {unit}".rstrip(), flush=True)


def rss_mb():
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


# --------------------------------------------------------------------------- database


def setup(database_url):
    import dj_database_url

    parsed = dj_database_url.parse(database_url)
    if "postgresql" not in parsed["ENGINE"]:
        raise SystemExit("bench.registry needs PostgreSQL: set DATABASE_URL=postgres://...")
    if parsed.get("HOST") not in ("127.0.0.1", "localhost", "", None):
        raise SystemExit("bench.registry only talks to 127.0.0.1")
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ.setdefault("MCQA_ALLOW_INSECURE_KEY", "1")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    settings.DATABASES["default"]["TEST"]["NAME"] = BENCH_DB
    connection.settings_dict["TEST"]["NAME"] = BENCH_DB
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    user = parsed.get("USER") or "postgres"
    return f"postgres://{user}@127.0.0.1:{parsed.get('PORT') or 5432}/{BENCH_DB}"


def teardown():
    from django.db import connection

    connection.creation.destroy_test_db(BENCH_DB, verbosity=0)


SNAPSHOT_DB = BENCH_DB + "_first_size"


def _admin(database_url):
    """A connection to the database DATABASE_URL names (not the benchmark's own), for
    creating and dropping databases."""
    import psycopg

    return psycopg.connect(database_url, autocommit=True)


def snapshot(database_url, bench_url):
    """Copy the benchmark database as it stands (CREATE DATABASE ... TEMPLATE) and
    return the copy's URL: the first size, kept to be measured again beside the grown
    one in the same rounds. PostgreSQL copies a template only while nobody is connected
    to it: this process lets go of it first, and an autovacuum worker that visits it
    meanwhile is waited out."""
    import psycopg
    from django.db import connections

    connections.close_all()
    with _admin(database_url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{SNAPSHOT_DB}"')
        for _ in range(60):
            try:
                admin.execute(f'CREATE DATABASE "{SNAPSHOT_DB}" TEMPLATE "{BENCH_DB}"')
                break
            except psycopg.errors.ObjectInUse:
                time.sleep(1)
        else:
            raise SystemExit(f"could not copy {BENCH_DB}: it stayed in use")
    return bench_url.rsplit("/", 1)[0] + "/" + SNAPSHOT_DB


def drop_snapshot(database_url):
    with _admin(database_url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{SNAPSHOT_DB}" WITH (FORCE)')


WORDS = ["Applied", "Open", "Northern", "Coastal", "Digital", "Green", "Civic", "Maritime"]
NOUNS = ["Academy", "University", "Institute", "School", "College", "Learning Centre"]
COUNTRIES = ["NL", "DE", "FR", "BE", "IT", "ES", "PL", "SE", "FI", "PT", "IE", "AT"]
FIELDS = ["0613", "0413", "0714", "0913", "0231", "0311", "0532", "1015"]
HISTORY_DAYS = 6 * 365  # the first decisions were taken some six years ago


# --------------------------------------------------------------------------- seeding


@dataclass
class Case:
    """One decision in a provider's history and what happened to the accreditation it
    created: `steps` are (transition, from, to, at, reason) after `create`."""

    course: int | None  # index into the provider's courses; None: institutional
    at: datetime.datetime
    outcome: str = "positive"
    valid_days: int = 0
    annulled_at: datetime.datetime | None = None
    steps: list = field(default_factory=list)

    @property
    def valid_from(self):
        return self.at.date() if self.outcome != "negative" else None

    @property
    def valid_until(self):
        return self.valid_from + self.valid_days * DAY if self.valid_from else None


def history(i, t0):
    """The decisions provider number `i` went through, oldest first, from `t0` on; the
    one place to add a kind of history (course versions, say).

    Institutional: three cycles (two years, two years, five), each decided a month
    before the previous one ends; the first expires while suspended for 1 in 33; 1 in
    10 starts with a negative decision. On the current cycle 1 in 20 is suspended and
    reinstated, 1 in 50 revoked. Courses (two for 1 in 4 providers): one approval of
    five years, after a negative decision for 1 in 15; 1 in 40 is annulled on appeal.
    """
    cases = []
    t = t0
    if i % 10 == 0:
        cases.append(Case(None, t, "negative"))
        t += 90 * DAY
    for cycle, years in enumerate((2, 2, 5), start=1):
        case = Case(None, t, valid_days=years * 365)
        end = _start_of(case.valid_until + DAY)
        if cycle == 1 and i % 33 == 1:
            case.steps += [
                ("suspend", "active", "suspended", t + 100 * DAY, "conditions_not_met"),
                ("expire", "suspended", "expired", end, None),
            ]
        elif cycle < 3:
            case.steps.append(("expire", "active", "expired", end, None))
        elif i % 20 == 1:
            case.steps += [
                ("suspend", "active", "suspended", t + 100 * DAY, "investigation"),
                ("reinstate", "suspended", "active", t + 160 * DAY, None),
            ]
        elif i % 50 == 3:
            case.steps.append(("revoke", "active", "revoked", t + 200 * DAY, "serious_breach"))
        cases.append(case)
        t = _start_of(case.valid_until) - 30 * DAY
    for course in range(2 if i % 4 == 0 else 1):
        t = t0 + (200 + 30 * course) * DAY
        if i % 15 == 0:
            cases.append(Case(course, t, "negative"))
            t += 120 * DAY
        case = Case(course, t, valid_days=5 * 365)
        if i % 40 == 7:
            case.annulled_at = t + 45 * DAY
            case.steps.append(("annul", "active", "annulled", case.annulled_at, None))
        cases.append(case)
    return cases


def _start_of(day):
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)


def seed(count, *, base, batch=2000):
    """Bulk-insert providers 0 .. count-1, their identifiers, courses and the history of
    `history()` (applications, decisions, accreditations, their transitions)."""
    from django.contrib.auth.models import User

    from accreditation.models import (
        Accreditation,
        AccreditationTransition,
        Application,
        Course,
        CourseVersion,
        Decision,
        Framework,
        Provider,
        ProviderIdentifier,
        ProviderIdentity,
    )
    from accreditation.versions import snapshot
    from registry.models import StatusListIndex

    decider, _ = User.objects.get_or_create(username="bench-decider")
    frameworks = {f.code: f for f in Framework.objects.all()}
    inst_fw = frameworks.get("esg-2015-part1")
    course_fw = frameworks.get("eu-mc-2022-principles")
    for lo in range(0, count, batch):
        numbers = range(lo, min(lo + batch, count))
        providers = Provider.objects.bulk_create(
            [
                Provider(
                    legal_name=f"{WORDS[i % 8]} {NOUNS[i % 6]} {i}",
                    country=COUNTRIES[i % len(COUNTRIES)],
                    type="university",
                    website=f"https://p{i}.example.org",
                )
                for i in numbers
            ]
        )
        by_number = dict(zip(numbers, providers, strict=True))
        made = ProviderIdentifier.history.bulk_create(_identifiers(by_number, base, count))
        in_force = {}
        for pi in made:
            if pi.valid_until is None:
                in_force.setdefault(pi.provider_id, []).append(
                    {"scheme": pi.scheme, "value": pi.value}
                )
        # One identity period per provider (name and country never changed here): the
        # verify query joins the period in force, so the benchmark measures that join.
        ProviderIdentity.objects.bulk_create(
            ProviderIdentity(
                provider=p,
                legal_name=p.legal_name,
                country=p.country,
                identifiers=sorted(in_force.get(p.pk, []), key=lambda x: (x["scheme"], x["value"])),
                valid_from=base - datetime.timedelta(days=3650),
            )
            for p in providers
        )
        courses = {}
        new_courses = []
        t0s = {i: base + datetime.timedelta(seconds=(i * 7919) % (365 * 86400)) for i in numbers}
        cases = {i: history(i, t0s[i]) for i in numbers}
        for i, p in by_number.items():
            wanted = 1 + max((c.course for c in cases[i] if c.course is not None), default=-1)
            courses[i] = [
                Course(
                    provider=p,
                    title=f"Micro-credential {i}.{n}",
                    learning_outcomes=["Apply the method"],
                    workload_ects=5,
                    eqf_level=4 + (i + n) % 4,
                    isced_f=FIELDS[(i + n) % len(FIELDS)],
                    assessment_type="Exam",
                    participation_form="online",
                    quality_assurance="Internal",
                    languages=["en"],
                )
                for n in range(wanted)
            ]
            new_courses += courses[i]
        Course.objects.bulk_create(new_courses)
        # Version 1 of every course, in force from before any decision: verify reads a
        # course's level and field from its version in force at the moment asked.
        CourseVersion.objects.bulk_create(
            CourseVersion(
                course=c,
                number=1,
                elements=snapshot(c),
                title=c.title,
                eqf_level=c.eqf_level,
                isced_f=c.isced_f,
                valid_from=base - datetime.timedelta(days=3650),
            )
            for c in new_courses
        )
        flat = [(i, c) for i in numbers for c in cases[i]]
        applications = Application.objects.bulk_create(
            [
                Application(
                    kind="provider" if c.course is None else "course",
                    provider=by_number[i],
                    course=None if c.course is None else courses[i][c.course],
                    framework=inst_fw if c.course is None else course_fw,
                    state="rejected" if c.outcome == "negative" else "accredited",
                    decided_at=c.at,
                )
                for i, c in flat
            ]
        )
        decisions = Decision.objects.bulk_create(
            [
                Decision(
                    application=app,
                    outcome=c.outcome,
                    valid_from=c.valid_from,
                    valid_until=c.valid_until,
                    decided_by=decider,
                    decided_at=c.at,
                    annulled_at=c.annulled_at,
                )
                for (_i, c), app in zip(flat, applications, strict=True)
            ]
        )
        positive = [
            (c, app, d)
            for (_i, c), app, d in zip(flat, applications, decisions, strict=True)
            if c.outcome != "negative"
        ]
        accreditations = Accreditation.objects.bulk_create(
            [
                Accreditation(
                    provider_id=app.provider_id,
                    course=app.course,
                    application=app,
                    decision=d,
                    outcome="positive",
                    status=c.steps[-1][2] if c.steps else "active",
                    valid_from=c.valid_from,
                    valid_until=c.valid_until,
                    eqf_levels=[5, 6] if (app.provider_id % 3 == 0 and c.course is None) else [],
                )
                for c, app, d in positive
            ]
        )
        # Their places in the status lists, as creating them through the services gives.
        StatusListIndex.objects.bulk_create(
            StatusListIndex(accreditation=acc) for acc in accreditations
        )
        logs = []
        for (c, _app, _d), acc in zip(positive, accreditations, strict=True):
            logs.append(
                AccreditationTransition(
                    accreditation=acc,
                    transition="create",
                    from_state="",
                    to_state="active",
                    at=c.at,
                )
            )
            for name, source, target, at, reason in c.steps:
                logs.append(
                    AccreditationTransition(
                        accreditation=acc,
                        transition=name,
                        from_state=source,
                        to_state=target,
                        at=at,
                        comment=f"Bench: {name}" if reason else "",
                        payload={"reason": reason} if reason else {},
                    )
                )
        AccreditationTransition.objects.bulk_create(logs, batch_size=5000)


def _identifiers(by_number, base, count):
    """Every provider's SCHAC code (1 in 5 replaced it: the old one ended, a new one
    began; 1 in 100 of the ended ones was taken over by the next provider later) and,
    for every other provider, an Erasmus code."""
    from accreditation.models import ProviderIdentifier

    rows = []
    changed = base + 400 * DAY
    for i, p in by_number.items():
        if i % 5 == 0:
            rows.append(
                ProviderIdentifier(
                    provider=p,
                    scheme="schac",
                    value=f"old-p{i}.example.org",
                    valid_from=base - 30 * DAY,
                    valid_until=changed,
                )
            )
        rows.append(
            ProviderIdentifier(
                provider=p,
                scheme="schac",
                value=f"p{i}.example.org",
                valid_from=changed if i % 5 == 0 else base - 30 * DAY,
            )
        )
        if i % 100 == 1 and i - 1 >= 0:  # provider i takes over the code provider i-1 ended
            rows.append(
                ProviderIdentifier(
                    provider=p,
                    scheme="schac",
                    value=f"old-p{i - 1}.example.org",
                    valid_from=changed + 100 * DAY,
                )
            )
        if i % 2 == 0:
            rows.append(
                ProviderIdentifier(
                    provider=p, scheme="erasmus", value=f"X BENCH{i:06d}", valid_from=base
                )
            )
    return rows


# --------------------------------------------------------------------------- growing


def _shift_number(column, shift):
    """SQL: `column` with its first run of digits (the provider's number) plus `shift`."""
    return (
        f"regexp_replace({column}, '[0-9]+', "
        f"((substring({column} from '[0-9]+'))::bigint + {shift})::text)"
    )


def _copy(cursor, model, *, provider_column, overrides, n, copies, total):
    """Insert `copies` copies of `model`'s rows of the seeded providers (1 .. n) in one
    INSERT ... SELECT over generate_series, each column copied unless `overrides` gives
    an expression (in terms of the copy number `k`); rows of providers beyond `total`
    are not made."""
    table = model._meta.db_table
    columns = [f.column for f in model._meta.concrete_fields]
    select = [overrides.get(c, c) for c in columns]
    cursor.execute(
        f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 - our own names
        f"SELECT {', '.join(select)} FROM {table} CROSS JOIN generate_series(1, %s) AS k "
        f"WHERE {provider_column} <= %s AND {provider_column} + k * %s <= %s",
        [copies, n, n, total],
    )
    return cursor.rowcount


def _skip_row_triggers(cursor):
    """Copies are consistent by construction: where allowed (a superuser, as the
    benchmark's own database usually has), skip the foreign key checks PostgreSQL
    would otherwise run for each of a million rows at commit. The server is stopped
    meanwhile, so the verify cache's notifications are not missed by anyone."""
    from django.db import DatabaseError, transaction

    try:
        with transaction.atomic():
            cursor.execute("SET LOCAL session_replication_role = replica")
    except DatabaseError:
        pass


def grow(n, total):
    """Grow the registry from providers 1 .. `n` to 1 .. `total` by copying the seeded
    providers with their identifiers, courses, registry rows and events (ids, names and
    identifier values shifted; the copies' history rows are not copied, as nothing the
    benchmark measures reads them). Returns the number of events then."""
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from accreditation.models import (
        Course,
        CourseVersion,
        Provider,
        ProviderIdentifier,
        ProviderIdentity,
    )
    from registry.models import RegistryEvent, RegistryProvider

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT min(id), max(id) FROM {Provider._meta.db_table}")  # noqa: S608
        if cursor.fetchone() != (1, n):
            raise SystemExit("grow() needs the seeded providers numbered 1 .. n")

        def span(model, column="id"):
            cursor.execute(f"SELECT coalesce(max({column}), 0) FROM {model._meta.db_table}")  # noqa: S608
            return cursor.fetchone()[0]

        spans = {
            "course": span(Course),
            "identifier": span(ProviderIdentifier),
            "identity": span(ProviderIdentity),
            "version": span(CourseVersion),
            "event": span(RegistryEvent),
            "seq": span(RegistryEvent, "seq"),
            "accreditation": span(RegistryEvent, "accreditation_id"),
            "application": span(RegistryEvent, "application_id"),
            "decision": span(RegistryEvent, "decision_id"),
        }
        copies = -(-total // n) - 1
        if copies < 1:
            return span(RegistryEvent)
        shift = f"k * {n}"
        with transaction.atomic():
            _skip_row_triggers(cursor)
            _copy(
                cursor,
                Provider,
                provider_column="id",
                overrides={"id": f"id + {shift}", "legal_name": _shift_number("legal_name", shift)},
                n=n,
                copies=copies,
                total=total,
            )
            _copy(
                cursor,
                ProviderIdentifier,
                provider_column="provider_id",
                overrides={
                    "id": f"id + k * {spans['identifier']}",
                    "provider_id": f"provider_id + {shift}",
                    "value": _shift_number("value", shift),
                },
                n=n,
                copies=copies,
                total=total,
            )
            _copy(
                cursor,
                Course,
                provider_column="provider_id",
                overrides={
                    "id": f"id + k * {spans['course']}",
                    "provider_id": f"provider_id + {shift}",
                    "uid": "gen_random_uuid()",
                    "title": _shift_number("title", shift),
                },
                n=n,
                copies=copies,
                total=total,
            )
            versions = CourseVersion._meta.db_table
            courses = Course._meta.db_table
            cursor.execute(
                f"INSERT INTO {versions} "  # noqa: S608 - our own names
                "(id, course_id, number, elements, title, eqf_level, isced_f, valid_from, "
                "valid_until, created_by_id) "
                f"SELECT v.id + k * {spans['version']}, v.course_id + k * {spans['course']}, "
                f"v.number, v.elements, v.title, v.eqf_level, v.isced_f, v.valid_from, "
                f"v.valid_until, v.created_by_id FROM {versions} v "
                f"JOIN {courses} c ON c.id = v.course_id "
                "CROSS JOIN generate_series(1, %s) AS k "
                "WHERE c.provider_id <= %s AND c.provider_id + k * %s <= %s",
                [copies, n, n, total],
            )
            identifiers = ProviderIdentifier._meta.db_table
            periods = ProviderIdentity._meta.db_table
            _copy(
                cursor,
                ProviderIdentity,
                provider_column="provider_id",
                overrides={
                    "id": f"id + k * {spans['identity']}",
                    "provider_id": f"provider_id + {shift}",
                    "legal_name": _shift_number("legal_name", shift),
                    "identifiers": (
                        "(SELECT coalesce(jsonb_agg(jsonb_build_object('scheme', i.scheme, "  # noqa: S608
                        "'value', i.value) ORDER BY i.scheme, i.value), '[]'::jsonb) "
                        f"FROM {identifiers} i WHERE i.provider_id = {periods}.provider_id + "
                        f"{shift} AND i.valid_until IS NULL)"
                    ),
                },
                n=n,
                copies=copies,
                total=total,
            )
            outer = RegistryProvider._meta.db_table
            _copy(
                cursor,
                RegistryProvider,
                provider_column="provider_id",
                overrides={
                    "provider_id": f"provider_id + {shift}",
                    "legal_name": _shift_number("legal_name", shift),
                    "identifiers": (
                        "(SELECT coalesce(jsonb_agg(jsonb_build_object('scheme', i.scheme, "  # noqa: S608
                        "'value', i.value) ORDER BY i.scheme, i.value), '[]'::jsonb) "
                        f"FROM {identifiers} i WHERE i.provider_id = {outer}.provider_id + {shift} "
                        "AND i.valid_until IS NULL)"
                    ),
                    "search_text": (
                        f"lower({_shift_number('legal_name', shift)}) || coalesce(("  # noqa: S608
                        "SELECT ' ' || string_agg(lower(i.scheme || ':' || i.value), ' ' "
                        f"ORDER BY i.scheme, i.value) FROM {identifiers} i "
                        f"WHERE i.provider_id = {outer}.provider_id + {shift} "
                        "AND i.valid_until IS NULL), '')"
                    ),
                },
                n=n,
                copies=copies,
                total=total,
            )

            def moved(column):
                return f"{column} + k * {spans[column.removesuffix('_id')]}"

            _copy(
                cursor,
                RegistryEvent,
                provider_column="provider_id",
                overrides={
                    "id": f"id + k * {spans['event']}",
                    "seq": f"seq + k * {spans['seq']}",
                    "provider_id": f"provider_id + {shift}",
                    "accreditation_id": moved("accreditation_id"),
                    "application_id": moved("application_id"),
                    "decision_id": moved("decision_id"),
                    "course_id": f"course_id + k * {spans['course']}",
                    "source": f"source || '@' || (provider_id + {shift})",
                },
                n=n,
                copies=copies,
                total=total,
            )
            models = [
                Provider,
                ProviderIdentifier,
                ProviderIdentity,
                Course,
                CourseVersion,
                RegistryEvent,
            ]
            for statement in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(statement)
        start = time.perf_counter()
        rebuild_timelines(n + 1, total)
        figure("registry.grow.timelines_seconds", time.perf_counter() - start, "s")
        settle_tables(cursor)
        return span(RegistryEvent)


def settle_tables(cursor):
    """VACUUM (ANALYZE) after a bulk set-up, so that the benchmark measures the registry
    as it stands when the database has caught up with its writes, as a deployed one
    does between decisions: rebuilding every timeline leaves a dead version of every
    registry row, which each lookup must step over (and an autovacuum worker, waking
    during the measurement, would take CPU from it) until a vacuum clears them."""
    cursor.execute("VACUUM (ANALYZE)")


def rebuild_timelines(first, last, batch=2000):
    """The answer timelines and identity periods of providers `first` .. `last`, built
    from their (copied) events and periods as the projection builds them: the copies'
    rows came with their originals', whose accreditation and course ids, names and
    identifiers are not theirs."""
    from django.db import transaction

    from accreditation.models import ProviderIdentity
    from registry.models import RegistryEvent, RegistryProvider
    from registry.services import identities_json, timeline_json

    for low in range(first, last + 1, batch):
        high = min(low + batch - 1, last)
        events, periods = {}, {}
        rows = RegistryEvent.objects.filter(provider_id__gte=low, provider_id__lte=high).order_by(
            "provider_id", "at", "seq"
        )
        for event in rows.iterator(chunk_size=5000):
            events.setdefault(event.provider_id, []).append(event)
        for period in ProviderIdentity.objects.filter(provider_id__gte=low, provider_id__lte=high):
            periods.setdefault(period.provider_id, []).append(period)
        rows = RegistryProvider.objects.filter(pk__gte=low, pk__lte=high).only(
            "legal_name", "country", "identifiers"
        )
        updated = []
        for row in rows:
            row.timeline = timeline_json(events.get(row.pk, []))
            current = (row.legal_name, row.country, row.identifiers)
            row.identities = identities_json(periods.get(row.pk, []), current)
            updated.append(row)
        with transaction.atomic():
            RegistryProvider.objects.bulk_update(
                updated, ["timeline", "identities"], batch_size=1000
            )


# --------------------------------------------------------------------------- questions


def questions(count, *, base, name, seed=42):
    """`count` distinct verify questions (identifier, course, at) drawn from the history
    in the database, as request paths written one a line to `bench-results/`. Returns
    (paths, file). Identifiers include ended ones; `at` is absent (now) for a quarter,
    a day near the identifier's validity or a moment to the second; the course is
    absent, the provider's own (by id or uid) or another provider's."""
    from django.utils import timezone

    from accreditation.models import Course, ProviderIdentifier

    rng = random.Random(seed)
    now = timezone.now()
    identifiers = list(
        ProviderIdentifier.history.values_list(
            "scheme", "value", "provider_id", "valid_from", "valid_until"
        )
    )
    courses = {}
    all_courses = []
    for provider_id, pk, uid in Course.objects.values_list("provider_id", "pk", "uid"):
        courses.setdefault(provider_id, []).append((pk, uid))
        all_courses.append(pk)
    start = base - 60 * DAY
    seen = set()
    paths = []
    while len(paths) < count:
        if rng.random() < 0.03:
            scheme, value = "schac", f"unknown{rng.randrange(10**8)}.example.org"
            provider_id, valid_from, valid_until = None, start, None
        else:
            scheme, value, provider_id, valid_from, valid_until = rng.choice(identifiers)
        roll = rng.random()
        if roll < 0.25:
            at = None
        else:
            lo = max(start, valid_from - 90 * DAY)
            hi = min(now, (valid_until or now) + 90 * DAY)
            moment = lo + (hi - lo) * rng.random()
            at = moment.date().isoformat() if roll < 0.85 else moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        roll = rng.random()
        course = None
        if roll < 0.45 or provider_id not in courses:
            pass
        elif roll < 0.92:
            pk, uid = rng.choice(courses[provider_id])
            course = (pk, str(uid) if rng.random() < 0.3 else str(pk))
        else:
            pk = rng.choice(all_courses)
            course = (pk, str(pk))
        key = (scheme, value, course and course[0], at)
        if key in seen:
            continue
        seen.add(key)
        path = f"/api/v1/registry/verify/?identifier={quote(f'{scheme}:{value}', safe=':')}"
        if course:
            path += f"&course={course[1]}"
        if at:
            path += f"&at={quote(at, safe='-:')}"
        paths.append(path)
    return paths, write_paths(paths, name)


def search_paths(providers, seed=43):
    rng = random.Random(seed)
    paths = []
    for _ in range(500):
        roll = rng.random()
        if roll < 0.4:
            term = f"{rng.choice(WORDS).lower()} {rng.choice(NOUNS).split()[0].lower()}"
            paths.append(f"/api/v1/registry/providers/?q={term.replace(' ', '+')}")
        elif roll < 0.6:
            paths.append(f"/api/v1/registry/providers/?q=p{rng.randrange(providers)}.example")
        elif roll < 0.8:
            paths.append(
                f"/api/v1/registry/providers/?country={rng.choice(COUNTRIES)}&status=active"
            )
        else:
            paths.append(
                f"/api/v1/registry/providers/?eqf_level={rng.randrange(4, 8)}"
                f"&isced_f={rng.choice(FIELDS)}"
            )
    return paths


def write_paths(paths, name):
    RESULTS.mkdir(exist_ok=True)
    file = RESULTS / f"registry-{name}-paths.txt"
    file.write_text("\n".join(paths) + "\n", encoding="utf-8")
    return file


# --------------------------------------------------------------------------- the plan


def _plan_nodes(node, out):
    """(node type, index, table) of every node of a JSON plan, depth first."""
    out.append((node["Node Type"], node.get("Index Name"), node.get("Relation Name")))
    for child in node.get("Plans", []):
        _plan_nodes(child, out)
    return out


def explain_verify(paths, label):
    """EXPLAIN the verify query for a question of `paths` that names a course and a
    moment: the custom plan (parameters known) with its execution time, and the generic
    plan a prepared statement may switch to after five runs. Prints the node types
    (depth first) and whether both are index lookups: the identifier index, the event
    index and no sequential scan."""
    from urllib.parse import parse_qs, urlsplit

    from django.db import connection

    from registry import services
    from registry.models import RegistryProvider

    sample = None
    for path in paths:
        query = parse_qs(urlsplit(path).query)
        course = query.get("course", [""])[0]
        if (
            course.isdigit()
            and "at" in query
            and not query["identifier"][0].startswith("schac:unk")
        ):
            sample = query
            break
    if sample is None:
        return
    scheme, value = sample["identifier"][0].split(":", 1)
    as_of = services.parse_at(sample["at"][0])
    moment = connection.ops.adapt_datetimefield_value(as_of)
    sql, params = services.verify_query(scheme, value, int(sample["course"][0]), moment)
    ok = True
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
        custom = _json(cursor.fetchone()[0])[0]
        numbered = sql
        for n in range(1, sql.count("%s") + 1):
            numbered = numbered.replace("%s", f"${n}", 1)
        cursor.execute("PREPARE bench_verify AS " + numbered)
        cursor.execute("SET plan_cache_mode = force_generic_plan")
        placeholders = ", ".join(["%s"] * len(params))
        cursor.execute(f"EXPLAIN (FORMAT JSON) EXECUTE bench_verify ({placeholders})", params)
        generic = _json(cursor.fetchone()[0])[0]
        cursor.execute("RESET plan_cache_mode")
        cursor.execute("DEALLOCATE bench_verify")
    providers = RegistryProvider._meta.db_table
    for kind, plan in (("custom", custom), ("generic", generic)):
        nodes = _plan_nodes(plan["Plan"], [])
        shown = [
            " ".join(filter(None, [t, i and f"using {i}", r and f"on {r}"])) for t, i, r in nodes
        ]
        figure(f"registry.{label}plan.{kind}", " > ".join(shown))
        ok = (
            ok
            and any(i == IDENTIFIER_INDEX for _t, i, _r in nodes)
            and any(r == providers and i for _t, i, r in nodes)
            and not any("Seq Scan" in t for t, _i, _r in nodes)
        )
    figure(f"registry.{label}plan.execution", custom["Execution Time"], "ms (EXPLAIN ANALYZE)")
    figure(
        f"registry.{label}plan.index_lookup",
        int(ok),
        f"(both plans look the identifier up in {IDENTIFIER_INDEX} and the provider's row "
        "and timeline by its key, no Seq Scan)",
    )


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def _asks(paths, count):
    """`_verify_row`'s arguments for the first `count` question paths."""
    from urllib.parse import parse_qs, urlsplit

    from registry import services

    asks = []
    for path in paths[:count]:
        query = parse_qs(urlsplit(path).query)
        scheme, value = query["identifier"][0].split(":", 1)
        course = query.get("course", [None])[0]
        if course is not None:
            course = int(course) if course.isdigit() else uuid.UUID(course)
        at = services.parse_at(query.get("at", [None])[0]) or datetime.datetime.now(datetime.UTC)
        asks.append((scheme, value, course, at))
    return asks


def time_queries(paths, label, count=2000, *, against=None):
    """The verify query alone (`_verify_row`: prepared statement, row decoded), timed
    in this process for `count` of the questions after a first pass over them: what
    the registry's size costs the lookup, without HTTP and with less of the noise of a
    shared machine. Returns the p50 in ms.

    `against`: (database alias, paths) of the first size, whose questions are then
    timed in the same loop, one of each in turns, so that both sizes meet the machine
    at the same speed; returns (p50, the first size's p50)."""
    from django.db import connections

    from registry import services

    default = connections["default"]
    runs = [(default, _asks(paths, count), [])]
    if against is not None:
        runs.append((connections[against[0]], _asks(against[1], count), []))
    for measured in (False, True):
        for k in range(count):
            for db, asks, timings in runs:
                if k >= len(asks):
                    continue
                start = time.perf_counter()
                services._verify_row(*asks[k], db=db)
                if measured:
                    timings.append((time.perf_counter() - start) * 1000)
    p50s = []
    for db, _, timings in runs:
        db.close()  # the prepared statement goes with it
        timings.sort()
        p50s.append(timings[len(timings) // 2])
    figure(f"registry.{label}query.p50", p50s[0], "ms (verify query, in process)")
    figure(f"registry.{label}query.p99", runs[0][2][int(len(runs[0][2]) * 0.99)], "ms")
    if against is None:
        return p50s[0]
    figure(f"registry.{label}query.first_size_p50", p50s[1], "ms (the first size, same loop)")
    return p50s[0], p50s[1]


def add_database(alias, name):
    """A second connection alias, as `default` but to the database `name`."""
    import copy

    from django.db import connections

    connections.settings[alias] = {**copy.deepcopy(connections.settings["default"]), "NAME": name}


# --------------------------------------------------------------------------- load


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(database_url, port, workers, threads=1, worker_class="sync"):
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "MCQA_BENCH_VIEWS": "1",
        "REGISTRY_THROTTLE_RATE": "100000000/minute",
        "REGISTRY_VERIFY_CACHE": "1",  # as in production (the test settings turn it off)
        "DATABASE_CONN_MAX_AGE": "600",
        "LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(  # noqa: S603 - our own server, fixed arguments
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            worker_class,
            "--threads",
            str(threads),
            "--keep-alive",
            "30",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:  # until a worker answers (booting takes seconds)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                sock.sendall(b"GET /bench/constant/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                if sock.recv(64).startswith(b"HTTP/1.1 200"):
                    return process
        except OSError:
            pass
        time.sleep(0.5)
    stop(process)
    raise SystemExit("gunicorn did not start")


def stop(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


# The wrk script: each thread reads the paths the benchmark wrote (first argument) and
# asks them in random order; at the end the latency histogram is printed, one
# "value count" pair (microseconds) a line, so that rounds can be merged exactly
# (`#latency` is the number of distinct values, `latency(i)` the i-th and its count).
WRK_SCRIPT = """\
local paths = {}
function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then paths[#paths + 1] = line end
  end
  math.randomseed(tonumber(args[2]))
end
function request()
  return wrk.format(nil, paths[math.random(#paths)])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK %d %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    e.connect, e.read, e.write, e.status, e.timeout))
  for i = 1, #latency do
    local value, count = latency(i)
    io.write(string.format("LAT %d %d\\n", value, count))
  end
end
"""


class WrkClient:
    """Drives the server with `wrk` (one thread: C and epoll, it needs a fraction of a
    core for 16 connections)."""

    name = "wrk"

    def __init__(self, port):
        self.port = port
        self.script = Path(tempfile.mkstemp(suffix=".lua")[1])
        self.script.write_text(WRK_SCRIPT, encoding="utf-8")
        self.runs = 0

    def drive(self, scenario, seconds):
        self.runs += 1
        command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{max(1, round(seconds))}s"]
        command += ["--timeout", "10s", "-s", str(self.script)]
        for name, value in scenario.headers.items():
            command += ["-H", f"{name}: {value}"]
        port = scenario.port(self.port)
        command += [f"http://127.0.0.1:{port}", "--", str(scenario.file), str(self.runs)]
        result = subprocess.run(  # noqa: S603 - fixed arguments
            command, capture_output=True, text=True, check=True, timeout=seconds + 60
        )
        histogram = []
        requests = duration = 0
        errors = []
        for line in result.stdout.splitlines():
            if line.startswith("LAT "):
                _, value, count = line.split()
                histogram.append((int(value) / 1e6, int(count)))
            elif line.startswith("WRK "):
                numbers = [int(x) for x in line.split()[1:]]
                requests, duration = numbers[0], numbers[1] / 1e6
                kinds = ("connect", "read", "write", "status", "timeout")
                errors = [k for k, n in zip(kinds, numbers[2:], strict=True) for _ in range(n)]
        return histogram, errors, requests / duration if duration else 0.0

    def close(self):
        self.script.unlink(missing_ok=True)


class PythonClient:
    """The fallback load generator: 16 asyncio connections in this process (it takes
    CPU time from the server on a small machine)."""

    name = "python"

    def __init__(self, port):
        self.port = port

    def drive(self, scenario, seconds):
        lines = "".join(f"{name}: {value}\r\n" for name, value in scenario.headers.items())
        port = scenario.port(self.port)
        start = time.perf_counter()
        latencies, errors = asyncio.run(_drive(port, scenario.paths, lines, seconds))
        elapsed = time.perf_counter() - start
        return [(value, 1) for value in latencies], errors, len(latencies) / elapsed

    def close(self):
        pass


async def _request(reader, writer, path, headers):
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}\r\n".encode("latin-1"))
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    close = False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection" and value.strip().lower() == b"close":
            close = True
    if length:
        await reader.readexactly(length)
    return status, close


async def _client(port, paths, headers, until, latencies, errors):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    rng = random.Random()
    try:
        while time.monotonic() < until:
            path = rng.choice(paths)
            start = time.perf_counter()
            status, close = await _request(reader, writer, path, headers)
            latencies.append(time.perf_counter() - start)
            if status != 200:
                errors.append(status)
            if close:
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
    finally:
        writer.close()


async def _drive(port, paths, headers, seconds):
    latencies, errors = [], []
    until = time.monotonic() + seconds
    await asyncio.gather(
        *[_client(port, paths, headers, until, latencies, errors) for _ in range(CONNECTIONS)]
    )
    return latencies, errors


def make_client(kind, port):
    if kind == "wrk" or (kind == "auto" and shutil.which("wrk")):
        if not shutil.which("wrk"):
            raise SystemExit("--client wrk: wrk is not installed (apt-get install wrk)")
        return WrkClient(port)
    return PythonClient(port)


@dataclass
class Scenario:
    paths: list
    headers: dict
    file: Path | None = None
    warm_seconds: float = 2.0
    # The server that answers it when not the client's own (port, gunicorn pid): the
    # two sizes' verify measured in the same rounds, each on its own database.
    server: tuple | None = None

    def port(self, default):
        return self.server[0] if self.server else default

    def server_pid(self, default):
        return self.server[1] if self.server else default


TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(server_pid):
    """CPU time (user + system) used so far by the whole stack of one request, by part:
    `server` (the gunicorn master and workers), `database` (PostgreSQL's processes) and
    `client` (the load generator: this process and its finished children, wrk). Per
    request it is what the request costs the machine, a figure that a neighbour taking
    CPU time from the shared cores does not move as much as it moves req/s."""
    parts = {"server": 0, "database": 0}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                stat = handle.read()
        except OSError:  # gone meanwhile
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        pid, ppid = int(entry), int(fields[1])
        ticks = int(fields[11]) + int(fields[12])
        if pid == server_pid or ppid == server_pid:
            parts["server"] += ticks
        elif name == "postgres":
            parts["database"] += ticks
    own = os.times()
    result = {part: ticks / TICK for part, ticks in parts.items()}
    result["client"] = own.user + own.system + own.children_user + own.children_system
    return result


def _quantile(histogram, q):
    """The q-quantile of a merged histogram [(value, count)]."""
    ordered = sorted(histogram)
    if not ordered:
        return float("nan")
    total = sum(count for _, count in ordered)
    rank = q * (total - 1)
    seen = 0
    for value, count in ordered:
        seen += count
        if seen > rank:
            return value
    return ordered[-1][0]


def measure(client, plan, seconds, rounds, server_pid, prefix=""):
    """Run the scenarios of `plan` (name -> Scenario) in `rounds` interleaved rounds of
    `seconds / rounds` each, so that a slow spell of a shared machine falls on all of
    them alike. Prints each scenario's req/s (median of the rounds, and each round's),
    p50/p95/p99 over all its requests and the CPU time each request cost the machine;
    returns the figures by name."""
    each = seconds / rounds
    for scenario in plan.values():  # warm up every worker and connection (and cache)
        client.drive(scenario, scenario.warm_seconds)
    parts = ("server", "database", "client")
    runs = {
        name: {"histogram": [], "errors": [], "rps": [], "cpu": dict.fromkeys(parts, 0.0)}
        for name in plan
    }
    for _ in range(rounds):
        for name, scenario in plan.items():
            pid = scenario.server_pid(server_pid)
            cpu = cpu_seconds(pid)
            histogram, errors, rps = client.drive(scenario, each)
            for part, seconds_used in cpu_seconds(pid).items():
                runs[name]["cpu"][part] += seconds_used - cpu[part]
            runs[name]["histogram"] += histogram
            runs[name]["errors"] += errors
            runs[name]["rps"].append(rps)
    results = {}
    for name, run in runs.items():
        histogram = run["histogram"]
        count = sum(c for _, c in histogram)
        p50, p95, p99 = (_quantile(histogram, q) * 1000 for q in (0.50, 0.95, 0.99))
        rps = statistics.median(run["rps"])
        key = f"registry.{prefix}{name}"
        figure(f"{key}.rps", rps, "req/s")
        figure(f"{key}.rps_rounds", " ".join(f"{r:.0f}" for r in run["rps"]))
        figure(f"{key}.p50", p50, "ms")
        figure(f"{key}.p95", p95, "ms")
        figure(f"{key}.p99", p99, "ms")
        split = {part: used / max(count, 1) * 1000 for part, used in run["cpu"].items()}
        cpu_ms = sum(split.values())
        figure(f"{key}.cpu_per_request", cpu_ms, "ms (server, database, client)")
        figure(
            f"{key}.cpu_split",
            " ".join(f"{part} {ms:.3f}" for part, ms in split.items()),
            "ms per request",
        )
        if run["errors"]:
            errors = run["errors"]
            figure(f"{key}.errors", len(errors), f"({sorted(set(map(str, errors)))})")
        results[name] = {
            "rps": rps,
            "rounds": run["rps"],
            "p50": p50,
            "p95": p95,
            "p99": p99,
            "cpu_ms": cpu_ms,
        }
    return results


def round_ratio(results, name, base):
    """The median over the rounds of name's req/s over base's in the same round."""
    pairs = zip(results[name]["rounds"], results[base]["rounds"], strict=True)
    return statistics.median(a / b for a, b in pairs)


# --------------------------------------------------------------------------- export


def measure_export():
    from registry.models import RegistryProvider
    from registry.views import export_rows

    rows = RegistryProvider.objects.count()
    figure("registry.export.rows", rows)
    for fmt in ("csv", "jsonl"):
        before = rss_mb()
        peak = before
        size = 0
        start = time.perf_counter()
        for n, chunk in enumerate(export_rows(fmt)):
            size += len(chunk)
            if n % 2000 == 0:
                peak = max(peak, rss_mb())
        peak = max(peak, rss_mb())
        elapsed = time.perf_counter() - start
        figure(f"registry.export.{fmt}.seconds", elapsed, "s")
        figure(f"registry.export.{fmt}.bytes", size)
        figure(f"registry.export.{fmt}.memory_growth", peak - before, "MB")


def measure_export_in_child(bench_url):
    """Stream the export in a fresh interpreter, so the memory growth measured is the
    export's own and not hidden by memory this process already holds."""
    env = {
        **os.environ,
        "DATABASE_URL": bench_url,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
    }
    result = subprocess.run(  # noqa: S603 - this module, fixed arguments
        [sys.executable, "-m", "bench.registry", "--export-only"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    for line in result.stdout.splitlines():
        if line.startswith("BENCH "):
            print(line, flush=True)
    if result.returncode:
        print(result.stderr[-2000:], flush=True)


def export_only():
    os.environ.setdefault("MCQA_ALLOW_INSECURE_KEY", "1")
    import django

    django.setup()
    from registry.models import RegistryProvider

    RegistryProvider.objects.exists()  # connect and load the ORM before the baseline
    figure("registry.export.baseline_rss", rss_mb(), "MB")
    measure_export()


def goal(name, value, unit, met):
    figure(name, value, f"{unit} ({'met' if met else 'MISSED'})")


def report_goals(results, prefix=""):
    """The ratios the goals use, each against the bare view of the same run."""
    constant = results["constant"]
    key = f"registry.{prefix}"
    ratio = round_ratio(results, "verify", "constant") * 100
    goal(f"{key}verify_vs_constant", ratio, "% of the bare view's req/s, goal >= 60", ratio >= 60)
    tail = results["verify"]["p99"] / constant["p99"]
    goal(f"{key}verify_p99_vs_constant", tail, "x the bare view's p99, goal <= 1.5", tail <= 1.5)
    by_cpu = constant["cpu_ms"] / results["verify"]["cpu_ms"] * 100
    figure(f"{key}verify_vs_constant_by_cpu", by_cpu, "% (the same, from CPU time per request)")
    nocache = round_ratio(results, "verify_nocache", "constant") * 100
    goal(
        f"{key}verify_nocache_vs_constant",
        nocache,
        "% (every answer read), goal >= 50",
        nocache >= 50,
    )
    if "verify_hot" in results:
        hot = round_ratio(results, "verify_hot", "constant") * 100
        figure(f"{key}verify_hot_vs_constant", hot, "% (2,000 questions, cached)")
    if "verify_signed" in results:
        signed = round_ratio(results, "verify_signed", "verify") * 100
        goal(f"{key}signed_vs_unsigned", signed, "%, goal >= 80", signed >= 80)
    if "search" in results:
        p95 = results["search"]["p95"]
        goal(f"{key}search.p95_goal", p95, "ms, goal <= 100", p95 <= 100)
    if "status_list" in results:  # issue 17
        lists = round_ratio(results, "status_list", "constant") * 100
        goal(f"{key}status_list_vs_constant", lists, "% of the bare view, goal >= 90", lists >= 90)
    if "accreditation_vc" in results:
        vc = round_ratio(results, "accreditation_vc", "accreditation") * 100
        goal(f"{key}vc_vs_json", vc, "% of the same accreditation as JSON, goal >= 80", vc >= 80)


def main():
    if "--export-only" in sys.argv:
        export_only()
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seed-providers",
        type=int,
        default=2_000,
        help="seeded and projected; the rest are copies of these",
    )
    parser.add_argument("--providers", type=int, default=20_000)
    parser.add_argument(
        "--large-providers", type=int, default=100_000, help="grow to this many (0: skip)"
    )
    parser.add_argument("--questions", type=int, default=250_000, help="distinct verify questions")
    parser.add_argument("--seconds", type=float, default=12.0, help="per scenario, all rounds")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument(
        "--workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="2 x cores + 1"
    )
    parser.add_argument(
        "--worker-class",
        default="sync",
        help="sync (as deployed behind a proxy, see README) or gthread (with --threads)",
    )
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--scenarios",
        default="",
        help="comma-separated names to measure (default all; the bare view always)",
    )
    parser.add_argument(
        "--client", choices=["auto", "wrk", "python"], default="auto", help="auto: wrk if installed"
    )
    args = parser.parse_args()
    began = time.perf_counter()
    database_url = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/test"
    bench_url = setup(database_url)
    server = client = None
    try:
        from django.db import connection
        from django.utils import timezone

        from registry import services

        base = timezone.now() - HISTORY_DAYS * DAY
        seeded = min(args.seed_providers, args.providers)
        start = time.perf_counter()
        seed(seeded, base=base)
        figure("registry.seed.seconds", time.perf_counter() - start, "s")
        start = time.perf_counter()
        services.SYNC_BATCH = 20_000  # fewer, larger batches: set-up, not a goal
        events = services.registry_sync()
        figure("registry.project.seconds", time.perf_counter() - start, f"s ({seeded} providers)")
        figure("registry.project.events", events)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # for grow's copies; grow vacuums what it made
        start = time.perf_counter()
        events = grow(seeded, args.providers)
        figure("registry.grow_seconds", time.perf_counter() - start, "s")
        figure("registry.providers", args.providers)
        figure("registry.events", events)
        verify_paths, verify_file = questions(args.questions, base=base, name="verify")
        hot = verify_paths[:HOT_QUESTIONS]
        figure("registry.questions", len(verify_paths), "distinct (identifier, course, at)")
        explain_verify(verify_paths, "")
        query_p50 = time_queries(verify_paths, "")
        json_, jose = {"Accept": "application/json"}, {"Accept": "application/jose"}
        constant = Scenario(
            ["/bench/constant/"], json_, write_paths(["/bench/constant/"], "constant")
        )
        search = search_paths(args.providers)
        # Issue 17: the trust layer's forms. The status lists (two URLs, each the whole
        # list) against the bare view; an accreditation as a VC-JWT against the same
        # accreditation as JSON (seeded accreditations: the copies have no rows of their
        # own to build a credential from).
        from accreditation.models import Accreditation

        lists = [f"/api/v1/registry/status/{p}/" for p in ("revocation", "suspension")]
        accreditations = [
            f"/api/v1/registry/accreditations/{pk}/"
            for pk in Accreditation.objects.order_by("pk").values_list("pk", flat=True)[:2000]
        ]
        accreditation_file = write_paths(accreditations, "accreditations")
        vc = {"Accept": "application/vc+jwt"}
        plan = {
            "constant": constant,
            "verify_hot": Scenario(hot, json_, write_paths(hot, "verify-hot"), warm_seconds=5),
            "verify": Scenario(verify_paths, json_, verify_file),
            "verify_nocache": Scenario(
                verify_paths, {**json_, "Cache-Control": "no-cache"}, verify_file
            ),
            "verify_signed": Scenario(verify_paths, jose, verify_file),
            "search": Scenario(search, json_, write_paths(search, "search")),
            "status_list": Scenario(lists, {}, write_paths(lists, "status-lists")),
            "accreditation": Scenario(accreditations, json_, accreditation_file),
            "accreditation_vc": Scenario(accreditations, vc, accreditation_file),
        }
        if args.scenarios:
            wanted = {"constant", *args.scenarios.split(",")}
            plan = {name: scenario for name, scenario in plan.items() if name in wanted}
        port = free_port()
        server = start_gunicorn(bench_url, port, args.workers, args.threads, args.worker_class)
        client = make_client(args.client, port)
        figure(
            "registry.gunicorn",
            f"{args.workers} {args.worker_class} workers",
            f"x {args.threads} threads, load by {client.name}",
        )
        results = measure(client, plan, args.seconds, args.rounds, server.pid)
        report_goals(results)
        stop(server)
        server = None
        if args.large_providers > args.providers:
            start = time.perf_counter()
            first_url = snapshot(database_url, bench_url)
            figure("registry.snapshot_seconds", time.perf_counter() - start, "s")
            start = time.perf_counter()
            events = grow(args.providers, args.large_providers)
            figure("registry.large.grow_seconds", time.perf_counter() - start, "s")
            figure("registry.large.providers", args.large_providers)
            figure("registry.large.events", events)
            large_paths, large_file = questions(
                args.questions, base=base, name="verify-large", seed=44
            )
            explain_verify(large_paths, "large.")
            add_database("first_size", SNAPSHOT_DB)
            large_p50, first_p50 = time_queries(
                large_paths, "large.", against=("first_size", verify_paths)
            )
            growth = large_p50 / first_p50 * 100
            goal(
                f"registry.large.query.p50_vs_{args.providers}",
                growth,
                f"% of the query's p50 at {args.providers} providers in the same loop, goal <= 125",
                growth <= 125,
            )
            figure(
                "registry.large.query.p50_vs_first_phase",
                large_p50 / query_p50 * 100,
                "% of the first phase's figure (the machine's change of speed included)",
            )
            # The first size answers again from its copy, on a server of its own, in
            # the same rounds as the grown one: the machine's speed, which can change
            # by a third between the phases, then falls on both sizes alike.
            port = free_port()
            server = start_gunicorn(bench_url, port, args.workers, args.threads, args.worker_class)
            client.port = port
            first_port = free_port()
            first_server = start_gunicorn(
                first_url, first_port, args.workers, args.threads, args.worker_class
            )
            first = (first_port, first_server.pid)
            nocache = {**json_, "Cache-Control": "no-cache"}
            plan = {
                "constant": constant,
                "verify": Scenario(large_paths, json_, large_file),
                "verify_nocache": Scenario(large_paths, nocache, large_file),
                f"verify_{args.providers}": Scenario(
                    verify_paths, json_, verify_file, server=first
                ),
                f"verify_nocache_{args.providers}": Scenario(
                    verify_paths, nocache, verify_file, server=first
                ),
            }
            try:
                large = measure(
                    client, plan, args.seconds, args.rounds, server.pid, prefix="large."
                )
            finally:
                stop(first_server)
            stop(server)
            server = None
            report_goals(large, prefix="large.")
            for name in ("verify", "verify_nocache"):
                growth = large[name]["p50"] / large[f"{name}_{args.providers}"]["p50"] * 100
                goal(
                    f"registry.large.{name}.p50_vs_{args.providers}",
                    growth,
                    f"% of the p50 at {args.providers} providers in the same rounds, goal <= 125",
                    growth <= 125,
                )
                phases = large[name]["p50"] / results[name]["p50"] * 100
                figure(
                    f"registry.large.{name}.p50_vs_first_phase",
                    phases,
                    "% of the first phase's p50 (the machine's change of speed included)",
                )
        measure_export_in_child(bench_url)
    finally:
        if server is not None:
            stop(server)
        if client is not None:
            client.close()
        from django.db import connections

        connections.close_all()
        teardown()
        if args.large_providers > args.providers:
            drop_snapshot(database_url)
    figure("registry.total_seconds", time.perf_counter() - began, "s")


if __name__ == "__main__":
    main()
