"""Celery tasks of the review stage (reminders)."""
