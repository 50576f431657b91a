"""The payload codec on its own: keys rotate (an old key still decrypts), a missing key is named,
plain payloads from before encryption pass through, and tampering is detected."""

from __future__ import annotations

import base64

import httpx
import pytest
from cryptography.exceptions import InvalidTag
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload

from orchestrator.payload_codec import ENCODING, KEY_ID, EncryptionCodec, PayloadKeyError, new_key, parse_keys
from orchestrator.settings import Settings
from tests.conftest import TokenFactory

PLAIN = Payload(metadata={"encoding": b"json/plain"}, data=b'{"citizen_id": "19750412-1234"}')


async def test_a_rotated_key_still_decrypts_what_the_old_one_sealed() -> None:
    old, new = new_key(), new_key()
    before = EncryptionCodec(parse_keys({"k1": old}), "k1")
    [sealed] = await before.encode([PLAIN])
    assert sealed.metadata["encoding"] == ENCODING and sealed.metadata[KEY_ID] == b"k1"
    assert b"19750412" not in sealed.SerializeToString()
    after = EncryptionCodec(parse_keys({"k1": old, "k2": new}), "k2")
    assert await after.decode([sealed]) == [PLAIN]
    [resealed] = await after.encode([PLAIN])
    assert resealed.metadata[KEY_ID] == b"k2"
    only_new = EncryptionCodec(parse_keys({"k2": new}), "k2")
    with pytest.raises(PayloadKeyError, match="no payload key 'k1'"):
        await only_new.decode([sealed])


async def test_plain_payloads_pass_through_and_tampering_is_refused() -> None:
    codec = EncryptionCodec(parse_keys({"k1": new_key()}), "k1")
    assert await codec.decode([PLAIN]) == [PLAIN]
    [sealed] = await codec.encode([PLAIN])
    forged = Payload(metadata=dict(sealed.metadata), data=sealed.data[:-1] + bytes([sealed.data[-1] ^ 1]))
    with pytest.raises(InvalidTag):
        await codec.decode([forged])


def test_bad_keys_are_refused_with_their_id() -> None:
    with pytest.raises(PayloadKeyError, match="'short' must be 32 bytes"):
        EncryptionCodec({"short": b"x" * 16}, "short")
    with pytest.raises(PayloadKeyError, match="not base64"):
        parse_keys({"k": "not base64!"})
    with pytest.raises(PayloadKeyError, match="current payload key 'k9'"):
        EncryptionCodec(parse_keys({"k1": new_key()}), "k9")


async def test_the_codec_endpoint_decrypts_for_support_and_the_temporal_ui_only(
    stack: Settings, http: httpx.AsyncClient, auth: TokenFactory
) -> None:
    codec = EncryptionCodec(parse_keys(stack.payload_keys), stack.payload_key_id)
    [sealed] = await codec.encode([PLAIN])
    body = {"payloads": [json_format.MessageToDict(sealed)]}
    ui = {"Origin": "http://127.0.0.1:8233"}
    opened = await http.post("/v1/codec/decode", json=body, headers={**auth("support", "agent-1"), **ui})
    assert opened.status_code == 200, opened.text
    assert opened.headers["access-control-allow-origin"] == "http://127.0.0.1:8233"
    [plain] = opened.json()["payloads"]
    assert json_format.ParseDict(plain, Payload()) == PLAIN
    refused = await http.post("/v1/codec/decode", json=body, headers=auth("citizen"))
    assert refused.status_code == 403
    forged = {"payloads": [{**body["payloads"][0], "data": base64.b64encode(b"x" * 40).decode()}]}
    bad = await http.post("/v1/codec/decode", json=forged, headers=auth("support", "agent-1"))
    assert bad.status_code == 422 and "could not be decrypted" in bad.json()["detail"]
    preflight = await http.options(
        "/v1/codec/decode",
        headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers
    elsewhere = await http.get("/healthz", headers=ui)  # CORS is for the codec only
    assert "access-control-allow-origin" not in elsewhere.headers
