"""Celery tasks of the registry: the projection runs after commit and every minute.

The after-commit task publishes a decision within seconds; the minute sweep recovers a
task lost with a crashed worker or broker, and picks up reports that became ready.
Both call the same idempotent `registry_sync`, so running them twice is harmless.
"""

from celery import shared_task

SWEEP = "registry.sweep"


@shared_task(name="registry.sync")
def sync_registry():
    from .services import registry_sync

    return registry_sync()
