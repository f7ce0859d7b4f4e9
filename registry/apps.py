from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = "Public registry"

    def ready(self):
        from . import receivers  # noqa: F401
