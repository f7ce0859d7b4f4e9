"""A per-process cache of verify answers that PostgreSQL keeps honest.

Verifiers ask the same questions again and again (a wallet checking every credential
of a popular provider), and a verify answer is a pure function of the committed rows
it reads and of the moment asked about. So each web process keeps the answers it has
computed, and throws all of them away whenever any of those rows change:

- Statement triggers (migration 0003) on the tables a verify answer reads (registry
  events and providers, provider identifiers, courses, course versions) `NOTIFY
  registry_verify`.
  PostgreSQL delivers a notification only when the changing transaction commits,
  whatever made the change: the ORM, a bulk update, the admin, raw SQL.
- A daemon thread per process LISTENs on its own connection and clears the cache on
  every notification. While it is not listening (starting, or its connection lost)
  nothing is served from the cache or stored in it.
- An answer read before a change committed must not be stored after the notification
  cleared the cache: the generation is noted before the read, and storing is refused
  once it has moved on.
- An answer "as of now" is also kept no longer than the moment time alone changes it
  (an accreditation's `valid_until`) and, as a safety net, at most
  REGISTRY_VERIFY_CACHE_SECONDS.

Only PostgreSQL can tell, so other databases (the SQLite demo) never cache. A request
with `Cache-Control: no-cache` is answered from the database.
"""

import itertools
import logging
import marshal
import os
import threading

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

log = logging.getLogger(__name__)

CHANNEL = "registry_verify"
APPLICATION_NAME = "mcqa-verify-cache"
MAX_ENTRIES = 10_000  # under 1 kB each: some 10 MB per web process at most
EVICT_SHARE = 10  # a full cache drops its oldest tenth at once
RETRY_SECONDS = 1.0  # after a lost connection; doubled while connecting fails
MAX_RETRY_SECONDS = 60.0
PROBE_RETRY_SECONDS = 60.0


class AnswerCache:
    """Answers by question, each with the moment it stops being valid. Reads take no
    lock (a dict lookup is atomic); stores and invalidation do.

    An answer is kept as its `marshal` bytes, not as the dicts and lists it is made
    of: one object the garbage collector never traverses instead of a dozen it
    would. Ten thousand answers as objects made each full collection of a web process
    take some 100 ms (every few thousand questions, when most are new) and added
    about 20 µs to every uncached question in collections; as bytes they cost
    neither. Each reader gets its own copy (2 µs to load), which no caller can alter
    for the next one. A full cache drops its oldest tenth at once (one copy of the
    rest), rather than its oldest answer at each store, which made each store scan
    the slots earlier removals left at the front of the dict."""

    def __init__(self, max_entries=MAX_ENTRIES):
        self.max_entries = max_entries
        self.generation = 0
        self.ready = False  # True only while the listener is listening
        self._entries = {}
        self._lock = threading.Lock()

    def __len__(self):
        return len(self._entries)

    def get(self, key, now):
        if not self.ready:
            return None
        item = self._entries.get(key)
        if item is None or item[0] <= now:
            return None
        return marshal.loads(item[1])  # noqa: S302 - bytes this process wrote

    def put(self, key, answer, *, generation, expires):
        """Keep `answer` until `expires`, unless the cache was invalidated since
        `generation` was read (the answer may predate a change) or is not listening.
        Answers are plain values (dicts, lists, tuples, text, numbers, booleans, None);
        anything else is refused (ValueError), as a mistake of the caller's."""
        item = (expires, marshal.dumps(answer))
        with self._lock:
            if not self.ready or generation != self.generation:
                return False
            entries = self._entries
            if key not in entries and len(entries) >= self.max_entries:
                oldest = max(1, self.max_entries // EVICT_SHARE)
                entries = self._entries = dict(itertools.islice(entries.items(), oldest, None))
            entries[key] = item
            return True

    def invalidate(self):
        with self._lock:
            self.generation += 1
            self._entries = {}


class Listener(threading.Thread):
    """LISTENs for changes and invalidates `cache`; reconnects after a lost connection."""

    def __init__(self, cache, alias=DEFAULT_DB_ALIAS):
        super().__init__(name="registry-verify-cache", daemon=True)
        self.cache = cache
        self.alias = alias
        self.stopping = threading.Event()
        self.connected = threading.Event()

    def _connect(self):
        import psycopg

        params = connections[self.alias].get_connection_params()
        for django_only in ("cursor_factory", "context", "prepare_threshold"):
            params.pop(django_only, None)
        params["application_name"] = APPLICATION_NAME  # to tell it in pg_stat_activity
        return psycopg.connect(**params, autocommit=True)

    @staticmethod
    def _hears_itself(conn, timeout=5.0):
        """Send a notification and wait for it: a session hears its own, unless a
        pooler sent the two statements to different server connections."""
        probe = f"probe {os.getpid()} {threading.get_ident()}"
        conn.execute("SELECT pg_notify(%s, %s)", [CHANNEL, probe])
        return any(n.payload == probe for n in conn.notifies(timeout=timeout))

    def run(self):
        delay = RETRY_SECONDS
        while not self.stopping.is_set():
            try:
                with self._connect() as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    if not self._hears_itself(conn):
                        log.warning(
                            "Verify cache off: a notification sent did not arrive (a "
                            "connection pooler in transaction mode?); trying again later."
                        )
                        delay = PROBE_RETRY_SECONDS
                    else:
                        self.cache.invalidate()  # changes may have been missed until now
                        self.cache.ready = True
                        self.connected.set()
                        delay = RETRY_SECONDS
                        while not self.stopping.is_set():
                            for notice in conn.notifies(timeout=1.0):
                                if not notice.payload.startswith("probe "):  # another's
                                    self.cache.invalidate()
            except Exception as exc:  # noqa: BLE001 - the thread lives on; the cache is off
                if not self.stopping.is_set():
                    log.warning("Verify cache off: its listener failed (%s); retrying.", exc)
            finally:
                self.cache.ready = False
                self.connected.clear()
                self.cache.invalidate()
            self.stopping.wait(delay)
            delay = min(delay * 2, MAX_RETRY_SECONDS)


_lock = threading.Lock()
_process = {"pid": None, "cache": None, "listener": None}


def answer_cache(db=None):
    """This process's cache, its listener started on first use (after a fork, anew);
    None when caching is off, the database is not PostgreSQL, or the caller is inside
    a transaction (whose reads may include its own uncommitted changes). `db`: the
    connection the caller reads with, when it has it already (looking it up costs as
    much as the rest of this); the default database's otherwise."""
    if not settings.REGISTRY_VERIFY_CACHE:
        return None
    if db is None:
        db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "postgresql" or db.in_atomic_block:
        return None
    pid = os.getpid()
    if _process["pid"] != pid:
        with _lock:
            if _process["pid"] != pid:
                cache = AnswerCache()
                listener = Listener(cache, db.alias)
                listener.start()
                _process.update(pid=pid, cache=cache, listener=listener)
    return _process["cache"]


def stop(timeout=5.0):
    """Stop this process's listener and forget its cache (tests)."""
    with _lock:
        listener = _process["listener"]
        _process.update(pid=None, cache=None, listener=None)
    if listener is not None:
        listener.stopping.set()
        listener.join(timeout)


def wait_until_listening(timeout=5.0):
    """True once this process's listener is listening (tests)."""
    listener = _process["listener"]
    return listener is not None and listener.connected.wait(timeout)
