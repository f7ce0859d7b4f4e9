"""Write the verifier test vectors (registry/vectors.py) to a folder."""

from pathlib import Path

from django.core.management.base import BaseCommand

from registry.vectors import build


class Command(BaseCommand):
    help = "Write the test vectors (docs/test-vectors/) to FOLDER: same bytes on every run."

    def add_arguments(self, parser):
        parser.add_argument("folder", nargs="?", default="docs/test-vectors")

    def handle(self, folder, **options):
        root = Path(folder)
        root.mkdir(parents=True, exist_ok=True)
        files = build()
        for name, text in files.items():
            (root / name).write_text(text)
        self.stdout.write(self.style.SUCCESS(f"Wrote {len(files)} files to {root}."))
