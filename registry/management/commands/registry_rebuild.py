"""Wipe the registry projection and rebuild it from the accreditation history."""

from django.core.management.base import BaseCommand

from registry.services import registry_rebuild


class Command(BaseCommand):
    help = (
        "Wipe the registry's events and provider rows and replay the accreditation history "
        "(decisions, accreditation transitions, annulments, published reports). The result "
        "is the same as the incremental projection's; seq numbers restart at 1, so change-"
        "feed readers should resync from after=0."
    )

    def handle(self, *args, **options):
        count = registry_rebuild()
        self.stdout.write(self.style.SUCCESS(f"Registry rebuilt: {count} events."))
