"""Every Temporal payload encrypted with AES-GCM before it leaves the process.

Anyone who can read Temporal (its database, its UI, a history export) otherwise sees each case's
facts, agency replies and citizen ids. Each encrypted payload names its key id in its metadata,
so keys rotate: the newest key encrypts, every configured key still decrypts. Payloads written
before encryption (plain JSON, as in the recorded replay histories) pass through unchanged.

Payloads of `COMPRESS_FROM` bytes or more are compressed before they are sealed, and say so in
their metadata: a case's input (its life event's definition) and its result (the case's state) are
about 5 and 6 KB of JSON each and shrink about sixfold, the bulk of what Temporal stores per case.
Compressing before encrypting lets a payload's length hint at its content; OneStop's payloads
carry no personal data (only references to it), and their shapes are the catalog's, not secrets.

Failure messages stay readable on purpose: OneStop's failures carry reason codes only
(`AgencyError`), and support reads them in the Temporal UI and in the case's history summary.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import os
import zlib
from collections.abc import Mapping, Sequence

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, PayloadCodec

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
COMPRESSION = "compression"
ZLIB = b"zlib"
COMPRESS_FROM = 512  # below this, zlib's header and a short text's poor ratio save little
_NONCE_BYTES = 12


class PayloadKeyError(ValueError):
    """A payload names a key this process does not have, or a key is not 32 bytes."""


class EncryptionCodec(PayloadCodec):
    def __init__(
        self, keys: Mapping[str, bytes], current: str, *, compress_from: int = COMPRESS_FROM
    ) -> None:
        """`compress_from`: the size from which payloads are compressed, 0 for never (every codec
        reads compressed payloads whatever it is set to)."""
        if current not in keys:
            raise PayloadKeyError(f"the current payload key {current!r} is not among the configured keys")
        for key_id, key in keys.items():
            if len(key) != 32:
                raise PayloadKeyError(f"payload key {key_id!r} must be 32 bytes (AES-256), not {len(key)}")
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self._current = current
        self._compress_from = compress_from

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(p) for p in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        nonce = os.urandom(_NONCE_BYTES)
        key_id = self._current.encode()
        metadata = {"encoding": ENCODING, KEY_ID: key_id}
        plain = payload.SerializeToString()
        if self._compress_from and len(plain) >= self._compress_from:
            plain = zlib.compress(plain)
            metadata[COMPRESSION] = ZLIB
        sealed = self._ciphers[self._current].encrypt(nonce, plain, _associated(metadata))
        return Payload(metadata=metadata, data=nonce + sealed)

    def decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload  # written before encryption: plain as it was
        key_id = payload.metadata.get(KEY_ID, b"")
        cipher = self._ciphers.get(key_id.decode())
        if cipher is None:
            raise PayloadKeyError(f"no payload key {key_id.decode()!r}: add it to ONESTOP_PAYLOAD_KEYS")
        nonce, sealed = payload.data[:_NONCE_BYTES], payload.data[_NONCE_BYTES:]
        plain = cipher.decrypt(nonce, sealed, _associated(payload.metadata))
        if payload.metadata.get(COMPRESSION) == ZLIB:
            plain = zlib.decompress(plain)
        return Payload.FromString(plain)


def _associated(metadata: Mapping[str, bytes]) -> bytes:
    """What the seal authenticates beside the data: the key id, and the compression when there is
    one, so a flag added or stripped fails the tag rather than feeding zlib or protobuf garbage.
    An uncompressed payload's is the key id alone, as before compression existed."""
    key_id = metadata.get(KEY_ID, b"")
    compression = metadata.get(COMPRESSION)
    return key_id if compression is None else key_id + b";" + COMPRESSION.encode() + b"=" + compression


def parse_keys(encoded: Mapping[str, str]) -> dict[str, bytes]:
    """Key id -> key, from base64 text as settings carry it."""
    keys: dict[str, bytes] = {}
    for key_id, text in encoded.items():
        try:
            keys[key_id] = base64.b64decode(text, validate=True)
        except binascii.Error as exc:
            raise PayloadKeyError(f"payload key {key_id!r} is not base64: {exc}") from None
    return keys


def new_key() -> str:
    return base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()


def encrypted_converter(codec: EncryptionCodec) -> DataConverter:
    """The one data converter: Pydantic models as JSON, then encrypted."""
    return dataclasses.replace(pydantic_data_converter, payload_codec=codec)
