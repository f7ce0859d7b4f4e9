"""Celery tasks of the registry."""
