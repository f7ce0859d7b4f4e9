"""Rotate the registry's signing key.

Creates a new Ed25519 key and makes it the active one; the previous key is retired
(it no longer signs) but its public half stays in /.well-known/jwks.json, so every
answer signed before the rotation remains verifiable. Web processes pick up the new
key within 30 seconds. Run it on a schedule (e.g. yearly) or at once if a private key
may have leaked (then also change REGISTRY_KEY_SECRET and rotate again).
"""

from django.core.management.base import BaseCommand

from registry.signing import rotate_key


class Command(BaseCommand):
    help = "Create a new active registry signing key; old public keys stay published."

    def handle(self, *args, **options):
        key = rotate_key()
        self.stdout.write(self.style.SUCCESS(f"New active signing key: {key.kid}"))
