"""Write the registry as signed static files that any web server or CDN can serve."""

import hashlib
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accreditation.models import Accreditation
from registry import credentials
from registry.api import provider_detail
from registry.models import RegistryEvent, RegistryProvider
from registry.signing import jwks, sign
from registry.views import export_rows


class Command(BaseCommand):
    help = (
        "Write a static snapshot of the registry to FOLDER: registry.csv, registry.jsonl, "
        "jwks.json, did.json, status/<purpose>.jwt (the status lists), "
        "accreditations/<id>.jwt (one credential per published accreditation), "
        "providers/<id>.json, and manifest.json (the sha256 of every file) with "
        "its compact JWS manifest.jws, signed by the registry key. A verifier checks "
        "manifest.jws against jwks.json, then each file's checksum."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder")

    def handle(self, folder, **options):
        root = Path(folder)
        try:
            for sub in ("providers", "status", "accreditations"):
                (root / sub).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CommandError(f"Cannot write to {root}: {exc}") from exc
        files = {}

        def write(name, chunks):
            digest = hashlib.sha256()
            size = 0
            with open(root / name, "wb") as out:
                for chunk in chunks:
                    data = chunk.encode("utf-8") if isinstance(chunk, str) else chunk
                    digest.update(data)
                    size += len(data)
                    out.write(data)
            files[name] = {"sha256": digest.hexdigest(), "size": size}

        write("registry.csv", export_rows("csv"))
        write("registry.jsonl", export_rows("jsonl"))
        write("jwks.json", [json.dumps(jwks(), indent=2)])
        write("did.json", [json.dumps(credentials.did_document(), indent=2)])
        version = ("static", timezone.now().isoformat())
        for purpose in credentials.PURPOSES:
            write(f"status/{purpose}.jwt", [credentials.status_list_jwt(purpose, version=version)])
        # The accreditations the registry publishes: those its provider rows list (read
        # once, not a lookup per accreditation).
        published = {
            acc["id"]
            for listed in RegistryProvider.objects.values_list("accreditations", flat=True)
            for acc in listed
        }
        accreditations = Accreditation.objects.filter(pk__in=published)
        for acc in accreditations.select_related("provider", "course").order_by("pk"):
            write(f"accreditations/{acc.pk}.jwt", [credentials.accreditation_vc_jwt(acc)])
        for entry in RegistryProvider.objects.order_by("provider_id").iterator(chunk_size=500):
            write(
                f"providers/{entry.provider_id}.json",
                [json.dumps(provider_detail(entry), ensure_ascii=False, indent=2)],
            )
        last = RegistryEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
        manifest = {
            "generated_at": timezone.now().isoformat().replace("+00:00", "Z"),
            "last_seq": last,
            "files": files,
        }
        (root / "manifest.json").write_text(json.dumps(manifest, indent=2))
        (root / "manifest.jws").write_text(sign(manifest))
        self.stdout.write(self.style.SUCCESS(f"Wrote {len(files) + 2} files to {root}."))
