"""Registry benchmark: `python -m bench.registry [--providers N] [--seconds S] [--rounds R]`.

Needs PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test); it
creates its own throwaway database `mcqa_bench_registry` (`MCQA_BENCH_DB`) beside it and
drops it at the end. Only 127.0.0.1 is contacted. Steps:

1. Seeds `--providers` providers (default 20,000) with bulk_create: identifiers,
   courses, institutional and course decisions (10 % negative), accreditations and
   their status history (some suspended, some revoked); then projects the registry
   with `registry_sync` (timed).
2. Starts gunicorn on 127.0.0.1 as deployed (`--workers`, default 2 x cores + 1,
   of the default sync class, which closes each connection after its answer, so
   every request is accepted by whichever process is free; `--worker-class gthread
   --threads N` keeps connections alive instead, and then the 16 connections are
   spread over the processes unevenly, which doubles p99) and drives 16 concurrent
   connections (kept alive where the server allows) for `--seconds` per scenario
   against: a bare constant Django view (`MCQA_BENCH_VIEWS=1`), verify (with the
   verify answer cache on, as in production), verify with `Cache-Control: no-cache`
   (every answer read from the database), signed verify (`Accept: application/jose`)
   and search. The scenarios take turns in `--rounds`
   rounds, so that a slow spell of a shared machine falls on all of them; ratios are
   the median of the per-round ratios. Prints req/s (median and per round) and
   p50/p95/p99 latency of each, and the ratios the goals use.
3. Adds providers up to 100,000 registry rows and streams the export (CSV and JSON
   Lines) in this process, measuring the resident memory growth while it streams.

Goals (issue 6): verify ≥ 50 % of the constant view's req/s in the same run and
p99 ≤ 25 ms; signed ≥ 80 % of unsigned; search p95 ≤ 100 ms; export of 100,000 rows
with < 50 MB memory growth. Figures are reported, not enforced (the machine decides).
"""

import argparse
import asyncio
import datetime
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = os.environ.get("MCQA_BENCH_DB", "mcqa_bench_registry")
CONNECTIONS = 16
EXPORT_ROWS = 100_000


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


WORDS = ["Applied", "Open", "Northern", "Coastal", "Digital", "Green", "Civic", "Maritime"]
NOUNS = ["Academy", "University", "Institute", "School", "College", "Learning Centre"]
COUNTRIES = ["NL", "DE", "FR", "BE", "IT", "ES", "PL", "SE", "FI", "PT", "IE", "AT"]
FIELDS = ["0613", "0413", "0714", "0913", "0231", "0311", "0532", "1015"]


def seed(count, start=0, negative_only=False):
    """Bulk-insert `count` providers with a plausible history (ids from `start`)."""
    from django.contrib.auth.models import User
    from django.utils import timezone

    from accreditation.models import (
        Accreditation,
        AccreditationTransition,
        Application,
        Course,
        Decision,
        Framework,
        Provider,
        ProviderIdentifier,
        ProviderIdentity,
    )

    rng = random.Random(start + 7)
    decider, _ = User.objects.get_or_create(username="bench-decider")
    frameworks = {f.code: f for f in Framework.objects.all()}
    inst_fw = frameworks.get("esg-2015-part1")
    course_fw = frameworks.get("eu-mc-2022-principles")
    base = timezone.now() - datetime.timedelta(days=900)
    batch = 2000
    for lo in range(start, start + count, batch):
        hi = min(lo + batch, start + count)
        providers = Provider.objects.bulk_create(
            [
                Provider(
                    legal_name=f"{WORDS[i % 8]} {NOUNS[i % 6]} {i}",
                    country=COUNTRIES[i % len(COUNTRIES)],
                    type="university",
                    website=f"https://p{i}.example.org",
                )
                for i in range(lo, hi)
            ]
        )
        identifiers = [
            ProviderIdentifier(provider=p, scheme="schac", value=f"p{i}.example.org")
            for i, p in zip(range(lo, hi), providers, strict=True)
        ]
        identifiers += [
            ProviderIdentifier(provider=p, scheme="erasmus", value=f"X BENCH{i:06d}")
            for i, p in zip(range(lo, hi), providers, strict=True)
            if i % 2 == 0
        ]
        ProviderIdentifier.objects.bulk_create(identifiers)
        listed = defaultdict(list)
        for pi in identifiers:
            listed[pi.provider_id].append({"scheme": pi.scheme, "value": pi.value})
        ProviderIdentity.objects.bulk_create(
            ProviderIdentity(
                provider=p,
                legal_name=p.legal_name,
                country=p.country,
                identifiers=sorted(listed[p.pk], key=lambda x: (x["scheme"], x["value"])),
                valid_from=p.created_at,
            )
            for p in providers
        )
        with_course = [(i, p) for i, p in zip(range(lo, hi), providers, strict=True) if i % 4 == 0]
        courses = Course.objects.bulk_create(
            [
                Course(
                    provider=p,
                    title=f"Micro-credential {i}",
                    learning_outcomes=["Apply the method"],
                    workload_ects=5,
                    eqf_level=4 + i % 4,
                    isced_f=FIELDS[i % len(FIELDS)],
                    assessment_type="Exam",
                    participation_form="online",
                    quality_assurance="Internal",
                    languages=["en"],
                )
                for i, p in with_course
            ]
        )
        cases = [(i, p, None) for i, p in zip(range(lo, hi), providers, strict=True)]
        if not negative_only:
            cases += [(i, p, c) for (i, p), c in zip(with_course, courses, strict=True)]
        applications = Application.objects.bulk_create(
            [
                Application(
                    kind="course" if c else "provider",
                    provider=p,
                    course=c,
                    framework=course_fw if c else inst_fw,
                    state="rejected" if negative_only or i % 10 == 0 else "accredited",
                )
                for i, p, c in cases
            ]
        )
        decisions = []
        for (i, _p, c), app in zip(cases, applications, strict=True):
            at = base + datetime.timedelta(seconds=i * 3 + (1 if c else 0))
            negative = negative_only or i % 10 == 0
            decisions.append(
                Decision(
                    application=app,
                    outcome="negative" if negative else "positive",
                    valid_from=None if negative else at.date(),
                    valid_until=None if negative else at.date().replace(year=at.year + 5),
                    decided_by=decider,
                    decided_at=at,
                )
            )
        decisions = Decision.objects.bulk_create(decisions)
        accs = [
            Accreditation(
                provider=app.provider,
                course=app.course,
                application=app,
                decision=d,
                outcome="positive",
                valid_from=d.valid_from,
                valid_until=d.valid_until,
                eqf_levels=[5, 6] if (i % 3 == 0 and c is None) else [],
            )
            for (i, _p, c), app, d in zip(cases, applications, decisions, strict=True)
            if d.outcome != "negative"
        ]
        accs = Accreditation.objects.bulk_create(accs)
        logs = []
        for acc in accs:
            at = acc.decision.decided_at
            logs.append(
                AccreditationTransition(
                    accreditation=acc, transition="create", from_state="", to_state="active", at=at
                )
            )
            roll = rng.random()
            if roll < 0.05:
                logs.append(
                    AccreditationTransition(
                        accreditation=acc,
                        transition="suspend",
                        from_state="active",
                        to_state="suspended",
                        at=at + datetime.timedelta(days=200),
                    )
                )
            elif roll < 0.07:
                logs.append(
                    AccreditationTransition(
                        accreditation=acc,
                        transition="revoke",
                        from_state="active",
                        to_state="revoked",
                        at=at + datetime.timedelta(days=300),
                    )
                )
        AccreditationTransition.objects.bulk_create(logs)
        # Keep the live status in line with the logs, as the services would have.
        suspended = [log.accreditation_id for log in logs if log.transition == "suspend"]
        revoked = [log.accreditation_id for log in logs if log.transition == "revoke"]
        Accreditation.objects.filter(pk__in=suspended).update(status="suspended")
        Accreditation.objects.filter(pk__in=revoked).update(status="revoked")


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
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.2)
    stop(process)
    raise SystemExit("gunicorn did not start")


def stop(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


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


def drive(port, paths, seconds, headers=None):
    """Load the server for `seconds` with requests carrying `headers` (default: Accept
    JSON): (latencies, non-200 statuses, elapsed seconds)."""
    headers = headers or {"Accept": "application/json"}
    lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    start = time.perf_counter()
    latencies, errors = asyncio.run(_drive(port, paths, lines, seconds))
    return latencies, errors, time.perf_counter() - start


TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(server_pid):
    """CPU time (user + system) used so far by the whole stack of one request: the
    gunicorn master and workers, PostgreSQL's processes and this load generator. Per
    request it is what the request costs the machine, a figure that a neighbour taking
    CPU time from the shared cores does not move as much as it moves req/s."""
    total = 0
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
        if pid == server_pid or ppid == server_pid or name == "postgres":
            total += int(fields[11]) + int(fields[12])
    own = os.times()
    return total / TICK + own.user + own.system


def measure(port, plan, seconds, rounds, server_pid=None):
    """Run the scenarios of `plan` (name -> (paths, Accept)) in `rounds` interleaved
    rounds of `seconds / rounds` each, so that a slow spell of a shared machine falls on
    all of them alike. Prints each scenario's req/s (median of the rounds, and each
    round's), p50/p95/p99 over all its requests and, given the server's pid, the CPU
    time each request cost the machine; returns the figures by name."""
    each = seconds / rounds
    for paths, headers in plan.values():  # warm up every worker and connection
        drive(port, paths, min(1.0, each / 2), headers)
    runs = {name: {"latencies": [], "errors": [], "rps": [], "cpu": 0.0} for name in plan}
    for _ in range(rounds):
        for name, (paths, headers) in plan.items():
            cpu = cpu_seconds(server_pid) if server_pid else 0.0
            latencies, errors, elapsed = drive(port, paths, each, headers)
            if server_pid:
                runs[name]["cpu"] += cpu_seconds(server_pid) - cpu
            runs[name]["latencies"] += latencies
            runs[name]["errors"] += errors
            runs[name]["rps"].append(len(latencies) / elapsed)
    results = {}
    for name, run in runs.items():
        latencies = sorted(run["latencies"])
        q = statistics.quantiles(latencies, n=100, method="inclusive")
        rps = statistics.median(run["rps"])
        figure(f"registry.{name}.rps", rps, "req/s")
        figure(f"registry.{name}.rps_rounds", " ".join(f"{r:.0f}" for r in run["rps"]))
        figure(f"registry.{name}.p50", q[49] * 1000, "ms")
        figure(f"registry.{name}.p95", q[94] * 1000, "ms")
        figure(f"registry.{name}.p99", q[98] * 1000, "ms")
        cpu_ms = run["cpu"] / len(latencies) * 1000
        if server_pid:
            figure(f"registry.{name}.cpu_per_request", cpu_ms, "ms (server, database, client)")
        if run["errors"]:
            errors = run["errors"]
            figure(f"registry.{name}.errors", len(errors), f"(statuses {sorted(set(errors))})")
        results[name] = {
            "rps": rps,
            "rounds": run["rps"],
            "p95": q[94] * 1000,
            "p99": q[98] * 1000,
            "cpu_ms": cpu_ms,
        }
    return results


def round_ratio(results, name, base):
    """The median over the rounds of name's req/s over base's in the same round."""
    pairs = zip(results[name]["rounds"], results[base]["rounds"], strict=True)
    return statistics.median(a / b for a, b in pairs)


def scenarios(providers):
    from accreditation.models import Course

    rng = random.Random(42)
    courses = list(Course.objects.values_list("pk", flat=True)[:2000])
    verify = []
    for _ in range(2000):
        i = rng.randrange(providers)
        path = f"/api/v1/registry/verify/?identifier=schac:p{i}.example.org"
        roll = rng.random()
        if roll < 0.3:
            path += f"&at=202{rng.randrange(4, 6)}-0{rng.randrange(1, 10)}-1{rng.randrange(10)}"
        elif roll < 0.5 and courses:
            path += f"&course={rng.choice(courses)}"
        elif roll < 0.55:
            path = f"/api/v1/registry/verify/?identifier=schac:unknown{i}.example.org"
        verify.append(path)
    search = []
    for _ in range(500):
        roll = rng.random()
        if roll < 0.4:
            term = f"{rng.choice(WORDS).lower()} {rng.choice(NOUNS).split()[0].lower()}"
            search.append(f"/api/v1/registry/providers/?q={term.replace(' ', '+')}")
        elif roll < 0.6:
            search.append(f"/api/v1/registry/providers/?q=p{rng.randrange(providers)}.example")
        elif roll < 0.8:
            search.append(
                f"/api/v1/registry/providers/?country={rng.choice(COUNTRIES)}&status=active"
            )
        else:
            search.append(
                f"/api/v1/registry/providers/?eqf_level={rng.randrange(4, 8)}"
                f"&isced_f={rng.choice(FIELDS)}"
            )
    return verify, search


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


def main():
    if "--export-only" in sys.argv:
        export_only()
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--providers", type=int, default=20_000)
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
    parser.add_argument("--export-rows", type=int, default=EXPORT_ROWS)
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/test"
    bench_url = setup(database_url)
    server = None
    try:
        from registry.services import registry_sync

        start = time.perf_counter()
        seed(args.providers)
        figure("registry.seed.seconds", time.perf_counter() - start, "s")
        start = time.perf_counter()
        events = registry_sync()
        figure("registry.project.seconds", time.perf_counter() - start, "s")
        figure("registry.project.events", events)
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        verify_paths, search_paths = scenarios(args.providers)
        port = free_port()
        server = start_gunicorn(bench_url, port, args.workers, args.threads, args.worker_class)
        figure(
            "registry.gunicorn",
            f"{args.workers} {args.worker_class} workers",
            f"x {args.threads} threads",
        )
        json_, jose = {"Accept": "application/json"}, {"Accept": "application/jose"}
        plan = {
            "constant": (["/bench/constant/"], json_),
            "verify": (verify_paths, json_),
            "verify_uncached": (verify_paths, {**json_, "Cache-Control": "no-cache"}),
            "verify_signed": (verify_paths, jose),
            "search": (search_paths, json_),
        }
        results = measure(port, plan, args.seconds, args.rounds, server.pid)
        stop(server)
        server = None
        verify, search = results["verify"], results["search"]
        ratio = round_ratio(results, "verify", "constant")
        signed_ratio = round_ratio(results, "verify_signed", "verify")
        figure("registry.verify_vs_constant", ratio * 100, "% (goal >= 50)")
        cpu_ratio = results["constant"]["cpu_ms"] / results["verify"]["cpu_ms"]
        figure("registry.verify_vs_constant_by_cpu", cpu_ratio * 100, "% (the same, from CPU time)")
        figure("registry.verify.p99_goal_met", int(verify["p99"] <= 25), "(p99 <= 25 ms)")
        uncached = round_ratio(results, "verify_uncached", "constant")
        figure("registry.verify_uncached_vs_constant", uncached * 100, "% (every answer read)")
        figure("registry.signed_vs_unsigned", signed_ratio * 100, "% (goal >= 80)")
        figure("registry.search.p95_goal_met", int(search["p95"] <= 100), "(p95 <= 100 ms)")
        extra = args.export_rows - args.providers
        if extra > 0:
            start = time.perf_counter()
            seed(extra, start=args.providers, negative_only=True)
            from registry import services

            services.SYNC_BATCH = 20_000  # fewer, larger batches: this is set-up, not measured
            registry_sync()
            figure("registry.export.seed_seconds", time.perf_counter() - start, "s")
        measure_export_in_child(bench_url)
    finally:
        if server is not None:
            stop(server)
        from django.db import connections

        connections.close_all()
        teardown()


if __name__ == "__main__":
    main()
