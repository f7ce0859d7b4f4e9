"""Run the deadline sweep once (what beat runs periodically): reminders, overdue
notices, closing lapsed factual-accuracy checks, overdue conditions and expiries."""

from django.core.management.base import BaseCommand

from accreditation.tasks import run_deadlines


class Command(BaseCommand):
    help = "Run the deadline sweep once."

    def handle(self, *args, **options):
        result = run_deadlines()
        for key, value in result.items():
            self.stdout.write(f"{key}: {value}")
