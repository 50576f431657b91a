"""Personal values encrypted at rest: each one sealed on its own with AES-GCM before it reaches
MongoDB, so a copy of the database files (SecantusDB's are world-readable on a dev machine), a
backup or an operator's query shows no name, address or identity number.

A sealed value is stored as `{"kid": key id, "box": nonce + ciphertext}`: the key id beside it
lets keys rotate (the newest key seals, every configured key still opens). The associated data
binds the value to where it belongs, its scope (`case:<id>`, `profile:<pseudonym>`) and field
name, so a value copied into another document or another field does not open there. Values
stored before encryption (plain JSON scalars) pass through `open` unchanged.

The keys are not the Temporal payload keys (`ONESTOP_VAULT_KEYS`, not `ONESTOP_PAYLOAD_KEYS`):
whoever may decode histories for support need not be able to read the vault.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Mapping
from typing import Any

from bson import Binary
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import JsonValue

_NONCE_BYTES = 12


class VaultKeyError(ValueError):
    """A key is missing, malformed, or does not open a value (tampered, or moved elsewhere)."""


class FieldSealer:
    def __init__(self, keys: Mapping[str, bytes], current: str) -> None:
        if current not in keys:
            raise VaultKeyError(f"the current vault key {current!r} is not among the configured keys")
        for key_id, key in keys.items():
            if len(key) != 32:
                raise VaultKeyError(f"vault key {key_id!r} must be 32 bytes (AES-256), not {len(key)}")
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self._current = current

    def seal(self, scope: str, name: str, value: JsonValue) -> dict[str, Any]:
        nonce = os.urandom(_NONCE_BYTES)
        plain = json.dumps(value, separators=(",", ":")).encode()
        box = self._ciphers[self._current].encrypt(nonce, plain, _bound(self._current, scope, name))
        return {"kid": self._current, "box": Binary(nonce + box)}

    def open(self, scope: str, name: str, stored: object) -> JsonValue:
        """The value as it was sealed; a plain value (written before encryption) as it is."""
        if not is_sealed(stored):
            return stored  # type: ignore[return-value]  # a JSON scalar read back from BSON
        assert isinstance(stored, Mapping)
        key_id = str(stored["kid"])
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise VaultKeyError(f"no vault key {key_id!r}: add it to ONESTOP_VAULT_KEYS")
        raw = bytes(stored["box"])
        try:
            plain = cipher.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _bound(key_id, scope, name))
        except InvalidTag:
            # Never the value (there is none to show): where it was read, so an operator can look.
            raise VaultKeyError(f"the sealed value {name!r} of {scope} does not open there") from None
        value: JsonValue = json.loads(plain)
        return value

    def seal_all(self, scope: str, data: Mapping[str, JsonValue], prefix: str = "") -> dict[str, Any]:
        return {name: self.seal(scope, prefix + name, value) for name, value in data.items()}

    def open_all(self, scope: str, stored: Mapping[str, object], prefix: str = "") -> dict[str, JsonValue]:
        return {name: self.open(scope, prefix + name, value) for name, value in stored.items()}


def is_sealed(stored: object) -> bool:
    return isinstance(stored, Mapping) and "box" in stored and "kid" in stored


def _bound(key_id: str, scope: str, name: str) -> bytes:
    return f"{key_id}\x00{scope}\x00{name}".encode()


def parse_vault_keys(encoded: Mapping[str, str]) -> dict[str, bytes]:
    """Key id -> key, from base64 text as settings carry it."""
    keys: dict[str, bytes] = {}
    for key_id, text in encoded.items():
        try:
            keys[key_id] = base64.b64decode(text, validate=True)
        except binascii.Error as exc:
            raise VaultKeyError(f"vault key {key_id!r} is not base64: {exc}") from None
    return keys
