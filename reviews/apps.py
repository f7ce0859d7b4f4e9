from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Reviews"

    def ready(self):
        from . import reporting, rules  # noqa: F401  (register workflow rules and receivers)
