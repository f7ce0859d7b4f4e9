"""Rotate the registry's signing key, pre-announced.

Creates a new Ed25519 key in state `next`: it is published at once in
/.well-known/jwks.json and /.well-known/did.json but signs nothing until
REGISTRY_JWKS_MAX_AGE + 30 seconds have passed, so every verifier that fetched the key
set since can check every signature made afterwards. Then the first process to reload
its key makes it active; the old key is retired (it no longer signs) and stays
published. `--immediately` skips the announcement: for a private key that may have
leaked (then also change REGISTRY_KEY_SECRET first).
"""

from django.core.management.base import BaseCommand, CommandError

from registry.signing import RotationPending, rotate_key


class Command(BaseCommand):
    help = (
        "Announce a new registry signing key (state next); it becomes the signer after "
        "the JWKS cache time. Old public keys stay published."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--immediately",
            action="store_true",
            help="Sign with the new key at once and retire the current one (leaked key).",
        )

    def handle(self, *args, immediately=False, **options):
        try:
            key = rotate_key(immediately=immediately)
        except RotationPending as exc:
            raise CommandError(
                f"Key {exc} is already announced and not yet active; wait for it, or use "
                "--immediately."
            ) from exc
        if key.active:
            self.stdout.write(self.style.SUCCESS(f"New active signing key: {key.kid}"))
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"New signing key {key.kid} published (next); it signs from "
                    f"{key.activates_at.isoformat()}."
                )
            )
