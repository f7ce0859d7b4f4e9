"""Signing registry answers: compact JWS with EdDSA (Ed25519), keys published as a JWKS.

Verifiers need nothing but `/.well-known/jwks.json` and any standard JOSE library.
Private keys are stored encrypted with a key derived from REGISTRY_KEY_SECRET (or
SECRET_KEY), so a database dump alone cannot sign. Rotation adds a new active key and
keeps every older public key published, so answers signed before stay verifiable.
"""

import base64
import hashlib
import json
import time

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import SigningKey

# Worker processes re-read the active key this often, so a rotation reaches every
# process quickly without a query per signed answer.
_CACHE_SECONDS = 30
_cache = {"key": None, "loaded": 0.0, "jwks": None, "jwks_loaded": 0.0}


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _fernet():
    secret = (settings.REGISTRY_KEY_SECRET or settings.SECRET_KEY).encode()
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"mcqa-registry-signing-key", info=b"v1"
    ).derive(secret)
    return Fernet(base64.urlsafe_b64encode(key))


def _new_key():
    private = Ed25519PrivateKey.generate()
    raw_public = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    raw_private = private.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    kid = f"{timezone.now():%Y%m%d}-{hashlib.sha256(raw_public).hexdigest()[:12]}"
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw_public), "kid": kid}
    jwk.update({"alg": "EdDSA", "use": "sig"})
    return kid, jwk, _fernet().encrypt(raw_private)


def rotate_key():
    """Create a new active key; the previous active key is retired but stays published."""
    kid, jwk, encrypted = _new_key()
    with transaction.atomic():
        now = timezone.now()
        SigningKey.objects.select_for_update().filter(active=True).update(
            active=False, retired_at=now
        )
        key = SigningKey.objects.create(
            kid=kid, public_jwk=jwk, private_key_encrypted=encrypted, active=True
        )
    _cache.update(key=None, loaded=0.0, jwks=None, jwks_loaded=0.0)
    return key


def active_key():
    """(kid, private key) of the active key, creating the first key on first use."""
    cached = _cache["key"]
    if cached is not None and time.monotonic() - _cache["loaded"] < _CACHE_SECONDS:
        return cached
    key = SigningKey.objects.filter(active=True).first()
    if key is None:
        try:
            key = rotate_key()
        except IntegrityError:  # another process created it meanwhile
            key = SigningKey.objects.get(active=True)
    raw = _fernet().decrypt(bytes(key.private_key_encrypted))
    loaded = (key.kid, Ed25519PrivateKey.from_private_bytes(raw))
    _cache.update(key=loaded, loaded=time.monotonic())
    return loaded


def sign(payload):
    """`payload` (a JSON-serialisable object) as a compact JWS signed with the active key."""
    kid, private = active_key()
    header = {"alg": "EdDSA", "kid": kid, "typ": "JOSE"}
    signing_input = (
        b64url(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + b64url(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())
    )
    signature = private.sign(signing_input.encode("ascii"))
    return f"{signing_input}.{b64url(signature)}"


def jwks():
    """Every key's public half (old keys stay published after rotation). Cached per
    process like the active key: a rotation shows within the same 30 seconds."""
    cached = _cache.get("jwks")
    if cached is not None and time.monotonic() - _cache.get("jwks_loaded", 0.0) < _CACHE_SECONDS:
        return cached
    keys = [k.public_jwk for k in SigningKey.objects.order_by("created_at", "id")]
    if not keys:
        _cache.update(key=None, loaded=0.0)
        active_key()
        keys = [k.public_jwk for k in SigningKey.objects.order_by("created_at", "id")]
    result = {"keys": keys}
    _cache.update(jwks=result, jwks_loaded=time.monotonic())
    return result
