"""CPU per request of the registry's hot answers, in one process, without a server.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> CACHE_URL=redis://127.0.0.1:6379/9 \\
        python -m bench.profile_verify [--requests 2000] [--rounds 5] [--profile verify_hot]

What `python -m bench.registry` measures through gunicorn and wrk, taken apart: the
same requests go through Django's WSGI handler (`django.core.handlers.wsgi.WSGIHandler`,
the whole middleware stack, the `request_started`/`request_finished` signals, the body
iterated and closed as gunicorn does) with a minimal environ, and the process's CPU
time (`time.process_time`, not wall time: the machine is shared) is divided by the
number of requests. Scenarios, taken in turns over `--rounds` rounds (the median is
printed) so that a busy spell falls on all of them:

- `constant`: the bare Django view (`/bench/constant/`, mounted by MCQA_BENCH_VIEWS=1);
- `verify_hot`: verify questions answered from the per-process answer cache
  (`registry.verify_cache`; warmed first);
- `verify_nocache`: the same questions with `Cache-Control: no-cache` (read from
  PostgreSQL, as an uncached answer is);
- `verify_miss`: the same questions with the answer cache emptied before each one, as
  the benchmark's questions drawn from 250,000 mostly are (a course asked by its uid
  is looked up too, which `no-cache` still answers from the cache);
- `status_list`: `/api/v1/registry/status/{revocation,suspension}/`.

Each line gives CPU µs per request (the least of the rounds, and their median), the
ratio bare/scenario (the share of the bare view's throughput the scenario would reach
if this process's CPU were all that counted), and the median CPU of the process's
PostgreSQL backend per request (read from /proc: the database must run on this
machine; not in the ratio).
`--profile <scenario>` then runs cProfile over that scenario and prints the top
functions by total and by own time.

The database is used as it is (not a test copy): migrate it first; when its registry is
empty, `--seed-providers` providers (default 300) are seeded and projected with the
history of `bench.registry`. The settings are `config.settings.test` (as the benchmark's
gunicorn), with the answer cache on and a throttle rate that never throttles: the
throttle's counting still runs in the cache CACHE_URL names (Redis, as in production;
without it the test settings' per-process memory).
"""

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time

SCENARIOS = ("constant", "verify_hot", "verify_nocache", "verify_miss", "status_list")


def configure():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ.setdefault("MCQA_ALLOW_INSECURE_KEY", "1")
    os.environ["MCQA_BENCH_VIEWS"] = "1"
    os.environ["REGISTRY_VERIFY_CACHE"] = "1"  # as in production and the benchmark
    os.environ["REGISTRY_THROTTLE_RATE"] = "100000000/minute"
    os.environ.setdefault("DATABASE_CONN_MAX_AGE", "600")
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("bench.profile_verify needs PostgreSQL: set DATABASE_URL=postgres://...")
    import django

    django.setup()


def ensure_registry(seed_providers):
    """Seed and project a registry when the database has none."""
    from django.db import connection
    from django.utils import timezone

    from bench.registry import DAY, HISTORY_DAYS, seed
    from registry import services
    from registry.models import RegistryEvent

    if not RegistryEvent.objects.exists():
        base = timezone.now() - HISTORY_DAYS * DAY
        seed(seed_providers, base=base)
        services.registry_sync()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    # The questions come from the history: the earliest event is near the seed's base.
    return RegistryEvent.objects.order_by("at").values_list("at", flat=True).first()


def environ(path, headers):
    """A minimal WSGI environ, as gunicorn builds it for `GET path` from 127.0.0.1."""
    from urllib.parse import unquote

    path_info, _, query = path.partition("?")
    env = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote(path_info),
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "50000",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_USER_AGENT": "wrk",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.errors": sys.stderr,
    }
    for name, value in headers.items():
        env["HTTP_" + name.upper().replace("-", "_")] = value
    return env


class Runner:
    def __init__(self, app):
        self.app = app
        self.statuses = []

    def start_response(self, status, headers, exc_info=None):
        self.status = status

    def request(self, path, headers):
        import io as _io

        env = environ(path, headers)
        env["wsgi.input"] = _io.BytesIO(b"")
        body = self.app(env, self.start_response)
        try:
            for _chunk in body:
                pass
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
        return self.status

    def run(self, paths, headers, count, *, miss=False):
        """CPU µs per request over `count` requests cycling through `paths`: this
        process's, and its PostgreSQL backend's (read from /proc, 10 ms ticks). With
        `miss`, the answer cache is emptied before each request."""
        from registry import verify_cache

        cache = verify_cache.answer_cache()
        n = len(paths)
        backend = backend_cpu()
        start = time.process_time()
        for i in range(count):
            if miss:
                cache.invalidate()
            self.request(paths[i % n], headers)
        cpu = (time.process_time() - start) / count * 1e6
        self.backend = (backend_cpu() - backend) / count * 1e6
        return cpu


def backend_cpu():
    """CPU seconds used so far by this process's PostgreSQL backend (same machine)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def scenarios(base):
    from bench.registry import questions

    paths, _ = questions(200, base=base, name="profile-verify")
    json_ = {"Accept": "application/json"}
    lists = [f"/api/v1/registry/status/{p}/" for p in ("revocation", "suspension")]
    return {
        "constant": (["/bench/constant/"], json_),
        "verify_hot": (paths, json_),
        "verify_nocache": (paths, {**json_, "Cache-Control": "no-cache"}),
        "verify_miss": (paths, json_),
        "status_list": (lists, {}),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="per scenario and round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed-providers", type=int, default=300)
    parser.add_argument("--profile", choices=SCENARIOS, help="cProfile this scenario afterwards")
    parser.add_argument("--only", choices=SCENARIOS, action="append", help="measure only these")
    parser.add_argument("--top", type=int, default=35)
    args = parser.parse_args()
    configure()
    from django.core.handlers.wsgi import WSGIHandler

    from registry import verify_cache

    base = ensure_registry(args.seed_providers)
    plan = scenarios(base)
    if args.only:
        plan = {name: plan[name] for name in args.only}
    runner = Runner(WSGIHandler())
    verify_cache.answer_cache()
    if not verify_cache.wait_until_listening(10):
        raise SystemExit("the verify answer cache is not listening")
    for name, (paths, headers) in plan.items():  # warm: caches filled, statements prepared
        statuses = {runner.request(p, headers) for p in paths}
        bad = {s for s in statuses if not s.startswith(("200", "400"))}
        if bad:
            raise SystemExit(f"{name}: unexpected answers {bad}")
        runner.run(paths, headers, min(args.requests, 500), miss=name == "verify_miss")
    results = {name: [] for name in plan}
    backend = {name: [] for name in plan}
    for _ in range(args.rounds):
        for name, (paths, headers) in plan.items():
            miss = name == "verify_miss"
            results[name].append(runner.run(paths, headers, args.requests, miss=miss))
            backend[name].append(runner.backend)
    # The least round is the cost with the least interference from other processes
    # (their cache pollution inflates CPU time too); the median is printed beside it.
    bare = min(results["constant"]) if "constant" in results else None
    for name, figures in results.items():
        cpu = min(figures)
        ratio = f"  bare/this {bare / cpu * 100:5.1f} %" if bare else ""
        spread = f"(median {statistics.median(figures):.0f}, max {max(figures):.0f})"
        db = statistics.median(backend[name])
        print(
            f"{name:15s} {cpu:6.0f} µs CPU per request {spread}{ratio}"
            f"  (+ PostgreSQL backend {db:.0f} µs)",
            flush=True,
        )
    if args.profile:
        paths, headers = plan.get(args.profile) or scenarios(base)[args.profile]
        profiler = cProfile.Profile(time.process_time)  # CPU, not wall time
        profiler.enable()
        runner.run(paths, headers, args.requests, miss=args.profile == "verify_miss")
        profiler.disable()
        for order in ("cumulative", "tottime"):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(args.top)
            print(out.getvalue())


if __name__ == "__main__":
    main()
