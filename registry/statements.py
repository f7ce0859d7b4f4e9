"""The verify query as a prepared statement run by libpq itself.

Verify is what verifiers call at volume, and its one query is an index lookup that
PostgreSQL answers in a few dozen microseconds: what a request costs beyond the
framework is mostly the client's side of that query. Through a Django cursor and a
psycopg cursor it is Python at every step (the query converted and its parameters
dumped, the cursor's generator driven through psycopg's wait loop, the result's
columns described and loaded). Here the statement is prepared once per connection
under its own name and run with one libpq call (`PGconn.exec_prepared`: send, wait
and read in C), its parameters sent as text for PostgreSQL to type from the columns
they meet, and the row read as text; that halves the client's CPU time per query.

What a Django cursor does still holds:

- errors become Django's database errors (`wrap_database_errors`), which also marks
  the connection for the end-of-request check, so a lost connection is replaced;
  a broken transaction is refused first, and CONN_HEALTH_CHECKS checks the connection
  before its first use in a request, as for any query;
- statements a session reset forgot (`DEALLOCATE ALL`, `DISCARD ALL`) are prepared
  again, outside a transaction;
- with queries logged (`DEBUG`, `CaptureQueriesContext`, pytest-django's
  `django_assert_num_queries`) the statement is logged as a cursor logs one;
- with an execute wrapper installed (`connection.execute_wrapper`), the statement goes
  through a cursor instead, so that the wrapper sees it.

The psycopg connection is left as psycopg expects it: the statement names are our own
(psycopg names its prepared statements `_pg3_<n>`), and libpq's blocking call returns
with the connection idle again, every result read.
"""

import functools
import hashlib
import logging
import time

from django.conf import settings
from psycopg import errors, pq

log = logging.getLogger("django.db.backends")

PREFIX = b"mcqa_"
FATAL_ERROR = pq.ExecStatus.FATAL_ERROR
ANSWERED = frozenset({pq.ExecStatus.TUPLES_OK, pq.ExecStatus.COMMAND_OK})


@functools.cache
def _prepared(sql):
    """The statement's name and its text with libpq's numbered placeholders ($1, ...)
    in place of the `%s` of Django's SQL (the verify SQL has no other `%`)."""
    parts = sql.split("%s")
    numbered = parts[0] + "".join(f"${n}{part}" for n, part in enumerate(parts[1:], 1))
    name = PREFIX + hashlib.sha256(sql.encode()).hexdigest()[:16].encode()
    return name, numbered.encode()


def _text(value):
    """A parameter in PostgreSQL's text input form (datetimes in ISO 8601 with their
    offset, which timestamptz input reads), or None for NULL."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.encode()
    if hasattr(value, "isoformat"):
        return value.isoformat().encode()
    return str(value).encode()


def _checked(result, raw):
    """`result`, or the error it reports raised as psycopg raises it."""
    if result is not None and result.status in ANSWERED:
        return result
    if result is None or raw.pgconn.status == pq.ConnStatus.BAD:
        message = raw.pgconn.error_message if result is None else result.error_message
        raise errors.OperationalError(
            (message or b"the connection was lost").decode(errors="replace").strip()
        )
    raise errors.error_from_result(result, encoding=raw.info.encoding)


def _prepare(raw, prepared, name, command):
    """Prepare `command` as `name` on the connection and note it in `prepared`."""
    _checked(raw.pgconn.prepare(name, command), raw)
    prepared.add(name)


def _forgotten(result, pgconn):
    """The statement is no longer prepared on the session (SQLSTATE 26000,
    invalid_sql_statement_name), outside a transaction, where preparing it again and
    retrying is safe (inside one, the error has aborted the transaction)."""
    return (
        result is not None
        and result.status == FATAL_ERROR
        and result.error_field(pq.DiagnosticField.SQLSTATE) == b"26000"
        and pgconn.transaction_status == pq.TransactionStatus.IDLE
    )


def fetch_one(db, sql, params, decoders):
    """The first row of `sql` with `params` on the Django connection `db`, each column
    decoded from its text form by its function in `decoders` (NULL stays None), or
    None when there is no row.

    Prepared statements on PostgreSQL unless REGISTRY_PREPARED_STATEMENTS is off (a
    pooler that does not keep them) or an execute wrapper is installed: then a Django
    cursor runs it, which returns the same values."""
    if (
        db.vendor != "postgresql"
        or not settings.REGISTRY_PREPARED_STATEMENTS
        or db.execute_wrappers
    ):
        with db.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()
    db.validate_no_broken_transaction()
    db.close_if_health_check_failed()  # CONN_HEALTH_CHECKS, as a cursor honours it
    db.ensure_connection()
    raw = db.connection
    pgconn = raw.pgconn
    kept = getattr(db, "_prepared_statements", None)  # `connection` (the proxy) too
    if kept is None or kept[0] is not pgconn:  # a new connection: nothing prepared on it
        kept = db._prepared_statements = (pgconn, set())
    name, command = _prepared(sql)
    values = [_text(value) for value in params]
    logged = db.queries_logged
    start = time.monotonic() if logged else 0.0
    with db.wrap_database_errors:
        if name not in kept[1]:
            _prepare(raw, kept[1], name, command)
        result = pgconn.exec_prepared(name, values)
        if _forgotten(result, pgconn):  # the session was reset (DEALLOCATE, DISCARD ALL)
            kept[1].clear()
            _prepare(raw, kept[1], name, command)
            result = pgconn.exec_prepared(name, values)
        _checked(result, raw)
    if logged:
        _log(db, sql, params, time.monotonic() - start)
    if result.ntuples == 0:
        return None
    row = []
    for column, decode in enumerate(decoders):
        value = result.get_value(0, column)
        row.append(None if value is None else decode(value))
    return tuple(row)


def _log(db, sql, params, duration):
    """As Django's debug cursor logs a query (`connection.queries`, the
    `django.db.backends` logger)."""
    parts = sql.split("%s")
    shown = parts[0] + "".join(repr(p) + part for p, part in zip(params, parts[1:], strict=True))
    db.queries_log.append({"sql": shown, "time": f"{duration:.3f}"})
    log.debug(
        "(%.3f) %s; args=%s; alias=%s",
        duration,
        shown,
        tuple(params),
        db.alias,
        extra={"duration": duration, "sql": shown, "params": tuple(params), "alias": db.alias},
    )


def text(value):
    """A text column."""
    return value.decode()
