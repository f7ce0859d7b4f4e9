from django.apps import AppConfig


class AccreditationConfig(AppConfig):
    name = "accreditation"
    verbose_name = "Accreditation"

    def ready(self):
        from . import rules  # noqa: F401  (registers the transition rules of this app)
