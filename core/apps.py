from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self):
        from . import language, tokens

        tokens.connect_signals()
        language.connect_signals()
