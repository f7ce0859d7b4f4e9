from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Reviews"

    def ready(self):
        # Register the workflow rules, the report receivers and the report tasks (which
        # the report services queue by name, in the web process and the worker alike).
        from . import rules  # noqa: F401
        from .reports import receivers, tasks  # noqa: F401
