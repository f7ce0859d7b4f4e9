"""Benchmarks: performance goals are reported here, not asserted by timed tests.

Each benchmark is a module `bench/<name>.py` that runs as `python -m bench.<name>`
and prints its figures; `make bench` (`python -m bench.run`) runs them all. A line
printed by `figure()` (`BENCH <name> <value> <unit>`) is collected into the summary.

Helpers for a benchmark module:

    from bench import figure, setup_django, timed
    setup_django()                      # settings + a fresh migrated test database
    with timed("registry.verify p50"):  # prints the elapsed milliseconds as a figure
        ...
"""

import os
import time
from contextlib import contextmanager

_DATABASE_READY = False


def setup_django(settings_module="config.settings.test"):
    """Configure Django and create a fresh migrated test database (SQLite in memory by
    default; PostgreSQL when DATABASE_URL points there). Safe to call more than once."""
    global _DATABASE_READY
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    import django

    django.setup()
    if not _DATABASE_READY:
        from django.db import connection
        from django.test.utils import setup_test_environment

        setup_test_environment()
        connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
        _DATABASE_READY = True


def figure(name, value, unit=""):
    """Print one figure in the form `make bench` collects into its summary."""
    if isinstance(value, float):
        value = f"{value:.3f}"
    print(f"BENCH {name} {value} {unit}".rstrip(), flush=True)


@contextmanager
def timed(name):
    """Measure the block's wall time and print it as a figure in milliseconds."""
    start = time.perf_counter()
    yield
    figure(name, (time.perf_counter() - start) * 1000, "ms")
