"""Staff lists at scale: `python -m bench.lists [--sizes 1000 100000] [--repeats 20] [--pages ...]`.

Issue 18.9's goal: every staff page's p95 within 1.5 x from 1,000 to 100,000
applications, with a constant number of queries. Steps:

1. Seeds the first size of applications in bulk (`bulk_create`, not the scenario builder:
   a case driven through the services takes ~0.1 s, 100,000 would take hours): one
   provider per ten cases, a course for every other case, states in the proportions of a
   running agency (most decided, ~5 % waiting for a decision, ~1 % appealed), due dates
   around today (about a third of the open ones overdue), creation dates over six years.
2. Measures each staff page (`PAGES`: the coordinator's, decider's and appeals member's
   home, the application list with its filters and a later page, the deadline overview
   and its later pages, the API list) through Django's test client as its user: a warm-up,
   then `--repeats` timed requests; prints p50 and p95 in ms and the page's SQL queries.
   `--pages home.coordinator list` measures only those pages (names as in `PAGES`).
   The seeding counts each case in its state (`ApplicationStateCount`, which the
   coordinator's home, the list and the dashboard read); the bench stops if the kept
   counts differ from the cases.
3. Grows the same database to each further size, runs ANALYZE and measures again; prints
   each page's p95 ratio against the first size *of the same run*, and whether its query
   count stayed the same.
4. Prints the plan (EXPLAIN) of each ordered list query at the largest size, so a sort
   that stopped using its index shows.

SQLite in memory by default (config.settings.test); with DATABASE_URL pointing at
PostgreSQL it uses its own throwaway database `mcqa_bench_lists` (`MCQA_BENCH_DB`) on
127.0.0.1 and drops it at the end. Figures are reported, never asserted (the shared
machine decides); the exit status is 1 only when a page does not answer 200.
"""

import argparse
import datetime
import os
import random
import statistics
import sys
import time

from bench import figure

SIZES = (1_000, 100_000)
BENCH_DB = os.environ.get("MCQA_BENCH_DB", "mcqa_bench_lists")
GOAL_RATIO = 1.5
# (name, user, path): the staff pages issue 18.9 lists, as each role opens them.
PAGES = [
    ("home.coordinator", "coordinator", "/"),
    ("home.decider", "decider", "/"),
    ("home.appeals", "appeals", "/"),
    ("list", "coordinator", "/applications/"),
    ("list.page5", "coordinator", "/applications/?page=5"),
    ("list.decision_pending", "decider", "/applications/?state=decision_pending"),
    ("list.waiting_coordinator", "coordinator", "/applications/?waiting_for=coordinator"),
    ("list.overdue", "coordinator", "/applications/?overdue=on"),
    ("list.kind", "coordinator", "/applications/?kind=renewal"),
    ("deadlines", "coordinator", "/deadlines/"),
    ("deadlines.overdue_page2", "coordinator", "/deadlines/?overdue_page=2"),
    ("api.applications", "coordinator", "/api/v1/applications/"),
    ("api.applications.state", "coordinator", "/api/v1/applications/?state=in_review"),
    ("courses", "coordinator", "/courses/"),
    ("courses.page5", "coordinator", "/courses/?page=5"),
]
# Shares of states in a running agency (per thousand).
STATE_SHARES = {
    "draft": 50,
    "submitted": 20,
    "screening": 20,
    "returned": 10,
    "in_review": 50,
    "clarification_requested": 10,
    "factual_check": 10,
    "decision_pending": 50,
    "appealed": 10,
    "accredited": 500,
    "conditionally_accredited": 100,
    "rejected": 80,
    "withdrawn": 90,
}
DECIDED = {"accredited", "conditionally_accredited", "rejected", "withdrawn"}
WAITING = {"submitted", "screening", "in_review", "decision_pending", "appealed"}


def setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ.setdefault("MCQA_ALLOW_INSECURE_KEY", "1")
    url = os.environ.get("DATABASE_URL", "")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment

    if url.startswith("postgres"):
        host = settings.DATABASES["default"].get("HOST")
        if host not in ("127.0.0.1", "localhost", "", None):
            raise SystemExit("bench.lists only talks to 127.0.0.1")
        settings.DATABASES["default"]["TEST"]["NAME"] = BENCH_DB
        connection.settings_dict["TEST"]["NAME"] = BENCH_DB
    setup_test_environment()
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    # The bench measures the pages, not the throttles or the log-in lock-out.
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}


def teardown():
    from django.db import connection

    if connection.vendor == "postgresql":
        connection.creation.destroy_test_db(BENCH_DB, verbosity=0)


def people():
    from tests.factories import UserFactory

    return {
        "coordinator": UserFactory(username="bench-coordinator", roles=["coordinator"]),
        "decider": UserFactory(username="bench-decider", roles=["decision_body"]),
        "appeals": UserFactory(username="bench-appeals", roles=["appeals_committee"]),
    }


def _states(rng):
    names = list(STATE_SHARES)
    weights = [STATE_SHARES[n] for n in names]
    return lambda: rng.choices(names, weights)[0]


def seed(start, stop, *, rng, batch=5000):
    """Insert applications number `start` .. `stop - 1` in bulk, with their providers and
    courses; the creation and update times are set here (auto_now is switched off while
    seeding, as the rows are history)."""
    from accreditation.models import Application, Course, Framework, Provider

    frameworks = {f.code: f for f in Framework.objects.all()}
    course_fw, inst_fw = frameworks["eu-mc-2022-principles"], frameworks["esg-2015-part1"]
    now = datetime.datetime.now(datetime.UTC)
    state_of = _states(rng)
    timestamps = [Application._meta.get_field(n) for n in ("created_at", "updated_at")]
    saved = [(f.auto_now, f.auto_now_add) for f in timestamps]
    for f in timestamps:
        f.auto_now = f.auto_now_add = False
    try:
        for lo in range(start, stop, batch):
            numbers = range(lo, min(lo + batch, stop))
            providers = Provider.objects.bulk_create(
                [
                    Provider(
                        legal_name=f"Provider {i // 10} of the bench",
                        country="NL",
                        type="university",
                    )
                    for i in numbers
                    if i % 10 == 0
                ]
            )
            courses = Course.objects.bulk_create(
                [
                    Course(provider=providers[(i - lo) // 10], title=f"Course {i}")
                    for i in numbers
                    if i % 2 == 0
                ]
            )
            rows = []
            for i in numbers:
                state = state_of()
                created = now - datetime.timedelta(days=rng.uniform(0, 6 * 365))
                course = courses[(i - lo) // 2] if i % 2 == 0 else None
                due = None
                if state not in DECIDED and state != "draft":
                    due = now + datetime.timedelta(days=rng.uniform(-20, 40))
                rows.append(
                    Application(
                        kind=("course" if course else ("renewal" if i % 7 == 0 else "provider")),
                        provider=providers[(i - lo) // 10],
                        course=course,
                        framework=course_fw if course else inst_fw,
                        state=state,
                        due_at=due,
                        created_at=created,
                        updated_at=created,
                    )
                )
            Application.objects.bulk_create(rows)
    finally:
        for f, (auto_now, auto_now_add) in zip(timestamps, saved, strict=True):
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def check_counts():
    """The numbers kept per state must be the cases': the pages read them."""
    from accreditation.models import ApplicationStateCount

    wrong = ApplicationStateCount.objects.recount(write=False)
    if wrong:
        raise SystemExit(f"the counts per state differ from the cases: {wrong}")


def analyze():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def clients(users):
    from django.test import Client

    out = {}
    for name, user in users.items():
        client = Client()
        client.force_login(user)
        out[name] = client
    return out


def _p95(values):
    values = sorted(values)
    return values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]


def measure(browsers, repeats, pages=PAGES):
    """{page: (p50 ms, p95 ms, p95 CPU ms, queries)} for every page of `PAGES`.

    The CPU time is this process's (the client, Django and SQLite in memory all run in
    it), so on a shared machine it is the steadier figure: another engineer's tests take
    wall time from a request, not CPU time."""
    from django.db import connection

    results = {}
    for name, who, path in pages:
        client = browsers[who]
        for _ in range(3):
            response = client.get(path)
            if response.status_code != 200:
                raise SystemExit(f"{name}: {path} answered {response.status_code}")
        queries = []

        def count(execute, *args, queries=queries):
            queries.append(args[0])
            return execute(*args)

        with connection.execute_wrapper(count):
            client.get(path)
        wall, cpu = [], []
        for _ in range(repeats):
            start, start_cpu = time.perf_counter(), time.process_time()
            client.get(path)
            wall.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
        results[name] = (statistics.median(wall), _p95(wall), _p95(cpu), len(queries))
    return results


def plans(browsers, pages=PAGES):
    """The plan of each ordered read of applications the pages run."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    seen = {}
    for name, who, path in pages:
        with CaptureQueriesContext(connection) as captured:
            browsers[who].get(path)
        for query in captured.captured_queries:
            sql = query["sql"]
            if "ORDER BY" not in sql or not (
                'FROM "accreditation_application"' in sql or 'FROM "accreditation_course"' in sql
            ):
                continue
            with connection.cursor() as cursor:
                if connection.vendor == "sqlite":
                    cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
                    plan = " | ".join(str(row[-1]) for row in cursor.fetchall())
                else:
                    cursor.execute(f"EXPLAIN {sql}")
                    plan = " | ".join(row[0].strip() for row in cursor.fetchall())
            seen.setdefault(name, plan)
    return seen


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument(
        "--pages", nargs="+", choices=[name for name, _, _ in PAGES], help="default: all"
    )
    args = parser.parse_args(argv)
    sizes = sorted(args.sizes)
    setup()
    try:
        return run(sizes, args)
    finally:
        teardown()


def run(sizes, args):
    from django.db import connection

    rng = random.Random(args.seed)
    pages = [page for page in PAGES if not args.pages or page[0] in args.pages]
    browsers = clients(people())
    print(f"database: {connection.vendor}; sizes: {sizes}; repeats: {args.repeats}", flush=True)
    by_size = {}
    have = 0
    for size in sizes:
        start = time.perf_counter()
        seed(have, size, rng=rng)
        have = size
        check_counts()
        analyze()
        figure(f"lists.seed.{size}", time.perf_counter() - start, "s")
        by_size[size] = measure(browsers, args.repeats, pages)
        for name, (p50, p95, cpu, queries) in by_size[size].items():
            print(
                f"  {size:>7} {name:<26} p50 {p50:7.2f} ms  p95 {p95:7.2f} ms  "
                f"p95 CPU {cpu:7.2f} ms  {queries} queries"
            )
            figure(f"lists.{name}.p95.{size}", p95, "ms")
    base, top = sizes[0], sizes[-1]
    worst = worst_cpu = 0.0
    changed = []
    for name, _who, _path in pages:
        ratio = by_size[top][name][1] / by_size[base][name][1]
        ratio_p50 = by_size[top][name][0] / by_size[base][name][0]
        ratio_cpu = by_size[top][name][2] / by_size[base][name][2]
        worst, worst_cpu = max(worst, ratio), max(worst_cpu, ratio_cpu)
        queries = [by_size[s][name][3] for s in sizes]
        if len(set(queries)) != 1:
            changed.append(name)
        figure(f"lists.{name}.p95_ratio.{top}_vs_{base}", ratio, "x")
        print(
            f"  {name:<26} p95 x{ratio:5.2f}  p50 x{ratio_p50:5.2f}  p95 CPU x{ratio_cpu:5.2f}  "
            f"queries {'/'.join(map(str, queries))}"
        )
    figure(f"lists.worst_p95_ratio.{top}_vs_{base}", worst, f"x (goal <= {GOAL_RATIO})")
    figure(f"lists.worst_p95_cpu_ratio.{top}_vs_{base}", worst_cpu, f"x (goal <= {GOAL_RATIO})")
    figure("lists.pages_whose_queries_changed", len(changed), " ".join(changed))
    print(f"plans at {top:,} applications:")
    for name, plan in plans(browsers, pages).items():
        print(f"  {name:<28} {plan}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
