"""The one way to schedule a side effect after the current transaction commits.

A side effect (an e-mail, a PDF render, a registry projection) must never run for a
change that was rolled back, and must never undo a change that committed: it is
scheduled with the ids it needs, runs after commit, and a failure is logged (the
periodic sweeps catch up) instead of raised into the request that already committed.
"""

import logging
from functools import partial

from django.db import transaction

logger = logging.getLogger(__name__)


def after_commit(fn, *args, **kwargs):
    """Run `fn(*args, **kwargs)` once the current transaction commits (at once outside
    one). Pass ids, not objects: the function reads what committed."""
    transaction.on_commit(partial(_run, fn, args, kwargs))


def _run(fn, args, kwargs):
    try:
        fn(*args, **kwargs)
    except Exception:
        logger.exception("after-commit side effect %s%r failed", getattr(fn, "__name__", fn), args)
