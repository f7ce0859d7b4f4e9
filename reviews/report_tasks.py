"""Celery tasks that render reports."""
