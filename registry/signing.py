"""Signing registry answers: compact JWS with EdDSA (Ed25519), keys published as a JWKS.

Verifiers need nothing but `/.well-known/jwks.json` and any standard JOSE library.
Private keys are stored encrypted with a key derived from REGISTRY_KEY_SECRET (or
SECRET_KEY), so a database dump alone cannot sign. Rotation keeps every older public
key published, so answers signed before stay verifiable.

Rotation is pre-announced: the new key is published (state `next`) first and signs
nothing until every JWKS a verifier may hold has been fetched after it appeared: the
JWKS's HTTP cache time (REGISTRY_JWKS_MAX_AGE) plus the time a web process keeps its
own copy of the key set (_CACHE_SECONDS). So a verifier holding any JWKS it was served
since the rotation began can check every signature until the next rotation. The first
process to load the keys after that moment makes the new key active and retires the
old one; processes still holding the old key for up to _CACHE_SECONDS more sign with a
key that stays published.
"""

import base64
import datetime
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


class RotationPending(Exception):
    """A next key is already announced; it must become active before another rotation."""


def announce_delay():
    """How long a next key stays published before it signs: the JWKS's HTTP cache time
    plus the per-process cache of the key set (a JWKS served just before a process
    reloaded may omit the new key, and a verifier may keep it that long)."""
    return datetime.timedelta(seconds=settings.REGISTRY_JWKS_MAX_AGE + _CACHE_SECONDS)


def _forget():
    _cache.update(key=None, loaded=0.0, jwks=None, jwks_loaded=0.0)


def rotate_key(*, immediately=False):
    """Announce a new key (state `next`): published at once in the JWKS and the DID
    document, signing only from `activates_at` (now + `announce_delay()`).

    `immediately` makes it the signer at once and retires the current key: for the
    first key (no verifier holds anything yet) and for a key that may have leaked,
    where stopping the old key matters more than verifiers with a stale JWKS (they
    refetch when they meet an unknown `kid`). Raises RotationPending when a next key is
    already announced (unless `immediately`, which then activates that one)."""
    with transaction.atomic():
        now = timezone.now()
        pending = SigningKey.objects.select_for_update().filter(
            active=False, retired_at__isnull=True
        )
        if pending.exists() and not immediately:
            raise RotationPending(pending.first().kid)
        if immediately:
            SigningKey.objects.select_for_update().filter(active=True).update(
                active=False, retired_at=now
            )
            pending.update(retired_at=now, activates_at=None)
            kid, jwk, encrypted = _new_key()
            key = SigningKey.objects.create(
                kid=kid,
                public_jwk=jwk,
                private_key_encrypted=encrypted,
                active=True,
                activates_at=now,
            )
        else:
            kid, jwk, encrypted = _new_key()
            key = SigningKey.objects.create(
                kid=kid,
                public_jwk=jwk,
                private_key_encrypted=encrypted,
                active=False,
                activates_at=now + announce_delay(),
            )
    _forget()
    return key


def _promote_due_key():
    """Make a next key whose `activates_at` has come the signer (and retire the old
    one). Idempotent and safe when several processes try at once: the row lock lets one
    promote, the others then find nothing due."""
    with transaction.atomic():
        due = (
            SigningKey.objects.select_for_update()
            .filter(active=False, retired_at__isnull=True, activates_at__lte=timezone.now())
            .order_by("activates_at", "id")
            .first()
        )
        if due is None:
            return
        SigningKey.objects.filter(active=True).update(active=False, retired_at=timezone.now())
        due.active = True
        due.save(update_fields=["active"])


def active_key():
    """(kid, private key) of the active key, creating the first key on first use and
    promoting an announced key once its time has come."""
    cached = _cache["key"]
    if cached is not None and time.monotonic() - _cache["loaded"] < _CACHE_SECONDS:
        return cached
    if SigningKey.objects.filter(
        active=False, retired_at__isnull=True, activates_at__lte=timezone.now()
    ).exists():
        _promote_due_key()
        _cache.update(jwks=None, jwks_loaded=0.0)
    key = SigningKey.objects.filter(active=True).first()
    if key is None:
        try:
            key = rotate_key(immediately=True)
        except IntegrityError:  # another process created it meanwhile
            key = SigningKey.objects.get(active=True)
    raw = _fernet().decrypt(bytes(key.private_key_encrypted))
    loaded = (key.kid, Ed25519PrivateKey.from_private_bytes(raw))
    _cache.update(key=loaded, loaded=time.monotonic())
    return loaded


def sign(payload, *, typ="JOSE", **header_fields):
    """`payload` (a JSON-serialisable object) as a compact JWS signed with the active key;
    `typ` and any further header fields (e.g. `cty`) go into the protected header."""
    kid, private = active_key()
    return sign_with(private, kid, payload, typ=typ, **header_fields)


def sign_with(private, kid, payload, *, typ="JOSE", **header_fields):
    """`payload` as a compact JWS signed with the Ed25519 key `private` named `kid`."""
    header = {"alg": "EdDSA", "kid": kid, "typ": typ, **header_fields}
    signing_input = (
        b64url(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + b64url(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())
    )
    signature = private.sign(signing_input.encode("ascii"))
    return f"{signing_input}.{b64url(signature)}"


def public_keys():
    """Every key, oldest first (next, active and retired): what the JWKS and the DID
    document publish."""
    return list(SigningKey.objects.order_by("created_at", "id"))


def jwks():
    """Every key's public half (a next key before it signs, old keys after rotation).
    Cached per process like the active key: a rotation shows within the same 30
    seconds (which `announce_delay()` allows for)."""
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
