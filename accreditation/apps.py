from django.apps import AppConfig


class AccreditationConfig(AppConfig):
    name = "accreditation"
    verbose_name = "Accreditation"

    def ready(self):
        from . import rules, tasks  # noqa: F401  (register the transition rules and effects)
