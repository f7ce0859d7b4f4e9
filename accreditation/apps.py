from django.apps import AppConfig


class AccreditationConfig(AppConfig):
    name = "accreditation"
    verbose_name = "Accreditation"

    def ready(self):
        from django.conf import settings

        from . import notifications, rules  # noqa: F401  (register transition rules)
        from .tasks import beat_schedule

        settings.CELERY_BEAT_SCHEDULE.update(beat_schedule())
