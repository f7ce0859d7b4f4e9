from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from accreditation.models import Framework, Standard
from accreditation.reference_data import DATA_FILE, create_role_groups, load_frameworks


class Command(BaseCommand):
    help = "Load the standards frameworks (new versions only) and the role groups."

    def add_arguments(self, parser):
        parser.add_argument("--file", default=str(DATA_FILE), help="frameworks JSON file")

    def handle(self, *args, **options):
        created = load_frameworks(Framework, Standard, options["file"])
        create_role_groups(Group)
        self.stdout.write(
            f"{created} new framework version(s); {Framework.objects.count()} in all."
        )
