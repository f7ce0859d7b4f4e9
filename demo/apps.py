from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo: seed data and the scenario builder that drives cases through the
    services. It sits above every other app, so it may read them all and none reads it."""

    name = "demo"
    verbose_name = "Demo"
