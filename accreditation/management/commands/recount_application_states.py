"""Check the number of applications kept per state against the applications, and set
it again where it differs: after a write that bypassed the counts (raw SQL, a restore of
the applications' table alone). `--check` only reports, and exits 1 on a difference, for
a periodic check or CI. Safe while the workflow runs (`ApplicationStateCount.recount`)."""

from django.core.management.base import BaseCommand, CommandError

from accreditation.models import ApplicationStateCount


class Command(BaseCommand):
    help = "Check the application counts per state, and set them again where they differ."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="store_true", help="Report differences only; exit 1 on any."
        )

    def handle(self, *args, check=False, **options):
        wrong = ApplicationStateCount.objects.recount(write=not check)
        for state, (was, actual) in wrong.items():
            self.stdout.write(f"{state}: kept {was}, counted {actual}")
        if check and wrong:
            raise CommandError(f"{len(wrong)} state count(s) differ from the applications.")
        self.stdout.write("counts set again" if wrong else "counts exact")
