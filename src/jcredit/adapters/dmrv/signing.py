"""Ed25519 keys and signatures of device batches (docs/dmrv.md §1–2), with ``cryptography``.

The registry keeps only public keys. :class:`DeviceSigner` holds a private key: devices,
gateways, the fleet simulator and the tests sign with it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from jcredit.domain.dmrv.envelope import canonical_bytes
from jcredit.domain.errors import ValidationError

RAW_KEY_BYTES = 32
SIGNATURE_BYTES = 64


def public_key_bytes(text: str, *, field: str = "public_key") -> bytes:
    """The 32 raw bytes of an Ed25519 public key written as base64 (44 characters) or hex
    (64), or as a PEM ``PUBLIC KEY`` block."""
    value = text.strip()
    raw: bytes | None = None
    if value.startswith("-----BEGIN PUBLIC KEY-----"):
        try:
            key = serialization.load_pem_public_key(value.encode("ascii"))
        except (ValueError, TypeError, UnicodeEncodeError) as exc:
            raise ValidationError("not a PEM public key", field=field) from exc
        if not isinstance(key, Ed25519PublicKey):
            raise ValidationError("the PEM key is not an Ed25519 key", field=field)
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    elif len(value) == 2 * RAW_KEY_BYTES:
        try:
            raw = bytes.fromhex(value)
        except ValueError:
            raw = None
    if raw is None:
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raw = None
    if raw is None or len(raw) != RAW_KEY_BYTES:
        raise ValidationError("an Ed25519 public key is 32 bytes written as base64 (44 "
                              "characters), hex (64 digits) or a PEM PUBLIC KEY block",
                              field=field)
    try:
        Ed25519PublicKey.from_public_bytes(raw)
    except ValueError as exc:
        raise ValidationError("not a valid Ed25519 public key", field=field) from exc
    return raw


def key_id(raw: bytes) -> str:
    """The first 16 hex digits of the SHA-256 of the raw public key."""
    return hashlib.sha256(raw).hexdigest()[:16]


def verify(public_key: bytes, signature_b64: str, signed: bytes) -> bool:
    """Whether ``signature_b64`` is the key's Ed25519 signature of ``signed``."""
    try:
        signature = base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError):
        return False
    if len(signature) != SIGNATURE_BYTES:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, signed)
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass
class DeviceSigner:
    """A device's private key, and the batches it seals."""

    private: Ed25519PrivateKey

    @classmethod
    def generate(cls) -> DeviceSigner:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_seed(cls, seed: bytes) -> DeviceSigner:
        """A deterministic key from 32 bytes (the simulator derives them from its seed)."""
        return cls(Ed25519PrivateKey.from_private_bytes(hashlib.sha256(seed).digest()))

    @property
    def public_raw(self) -> bytes:
        return self.private.public_key().public_bytes(serialization.Encoding.Raw,
                                                      serialization.PublicFormat.Raw)

    @property
    def public_b64(self) -> str:
        return base64.b64encode(self.public_raw).decode("ascii")

    @property
    def key_id(self) -> str:
        return key_id(self.public_raw)

    def sign(self, data: bytes) -> str:
        return base64.b64encode(self.private.sign(data)).decode("ascii")

    def envelope(self, batch: dict[str, Any]) -> bytes:
        """The JSON envelope of a batch, signed over its canonical bytes."""
        signed = canonical_bytes(batch)
        return json.dumps({"batch": batch, "signature": self.sign(signed)},
                          ensure_ascii=False, separators=(",", ":")).encode("utf-8")
