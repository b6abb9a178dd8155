"""RSA public keys from configuration and SHA256withRSA verification (WeChat Pay, Alipay)."""

from __future__ import annotations

import base64
import binascii
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from chalicelib.errors import NotConfigured


def rsa_public_key(pem: str | None, setting: str) -> rsa.RSAPublicKey:
    """The RSA public key configured in `setting`; NotConfigured (503) if absent or unreadable,
    so the provider retries until an operator fixes the configuration."""
    if not pem:
        raise NotConfigured(f"This payment provider is not configured: set {setting}.")
    key = _load(pem)
    if key is None:
        raise NotConfigured(f"{setting} is not a PEM (or bare base64) RSA public key.")
    return key


@lru_cache(maxsize=8)
def _load(pem: str) -> rsa.RSAPublicKey | None:
    """Parse once per key text. A bare base64 body (as Alipay's console shows its key) and
    literal `\\n` escapes (as some deploy tools store multi-line values) are accepted."""
    text = pem.strip().replace("\\n", "\n")
    if "-----BEGIN" not in text:
        text = f"-----BEGIN PUBLIC KEY-----\n{text}\n-----END PUBLIC KEY-----\n"
    try:
        key = load_pem_public_key(text.encode())
    except ValueError:
        return None
    return key if isinstance(key, rsa.RSAPublicKey) else None


def verify_sha256_rsa(key: rsa.RSAPublicKey, signature_b64: str, message: bytes) -> bool:
    """True when `signature_b64` is a PKCS#1 v1.5 SHA-256 signature of `message` by `key`."""
    try:
        key.verify(base64.b64decode(signature_b64, validate=True), message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True
