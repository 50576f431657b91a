"""The payload codec on its own: keys rotate (an old key still decrypts), a missing key is named,
plain payloads from before encryption pass through, and tampering is detected. Its endpoint
answers the Temporal UI's preflight as the UI sends it, and the UI's two ways in: the user's
token, or the cookie the support console's sign-in sets ("include cross-origin credentials")."""

from __future__ import annotations

import base64
from pathlib import Path

import httpx
import pytest
from cryptography.exceptions import InvalidTag
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload

from orchestrator.payload_codec import (
    COMPRESS_FROM,
    COMPRESSION,
    ENCODING,
    KEY_ID,
    EncryptionCodec,
    PayloadKeyError,
    new_key,
    parse_keys,
)
from orchestrator.settings import Settings
from orchestrator.temporal_client import data_converter
from tests.conftest import TokenFactory
from tests.support import console_sign_in

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


async def test_a_large_payload_is_compressed_before_sealing_and_its_flag_cannot_be_altered() -> None:
    """A definition-sized payload (a life event's steps, repeated) shrinks and comes back equal;
    a short one is sealed as before; the compression flag is authenticated with the data."""
    codec = EncryptionCodec(parse_keys({"k1": new_key()}), "k1")
    step = b'{"id": "notify_tax", "agency": "tax_office", "action": "update_address"},'
    large = Payload(metadata={"encoding": b"json/plain"}, data=b"[" + step * 60 + b"{}]")
    assert large.ByteSize() > COMPRESS_FROM
    [sealed, short] = await codec.encode([large, PLAIN])
    assert sealed.metadata[COMPRESSION] == b"zlib" and COMPRESSION not in short.metadata
    assert len(sealed.data) < large.ByteSize() / 5
    assert await codec.decode([sealed, short]) == [large, PLAIN]
    stripped = Payload(
        metadata={k: v for k, v in sealed.metadata.items() if k != COMPRESSION}, data=sealed.data
    )
    flagged = Payload(metadata={**short.metadata, COMPRESSION: b"zlib"}, data=short.data)
    for altered in (stripped, flagged):
        with pytest.raises(InvalidTag):
            await codec.decode([altered])
    # Compression off (a rollout beside older workers): sealed whole, and still read by any codec.
    keys = parse_keys({"k1": new_key()})
    [whole] = await EncryptionCodec(keys, "k1", compress_from=0).encode([large])
    assert COMPRESSION not in whole.metadata and len(whole.data) > large.ByteSize()
    assert await EncryptionCodec(keys, "k1").decode([whole]) == [large]


async def test_the_setting_turns_compression_off_for_a_rollout(tmp_path: Path) -> None:
    """`ONESTOP_PAYLOAD_COMPRESS_FROM_BYTES=0` reaches the one data converter: nothing compressed."""
    large = Payload(metadata={"encoding": b"json/plain"}, data=b"x" * (COMPRESS_FROM * 2))
    keys = {"k1": new_key()}
    for compress_from, compressed in ((0, False), (COMPRESS_FROM, True)):
        settings = Settings(
            home=tmp_path,
            payload_keys=keys,
            payload_key_id="k1",
            payload_compress_from_bytes=compress_from,
        )
        codec = data_converter(settings).payload_codec
        assert codec is not None
        [sealed] = await codec.encode([large])
        assert (COMPRESSION in sealed.metadata) is compressed


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


UI = "http://127.0.0.1:8233"


async def _sealed_body(stack: Settings) -> dict[str, list[dict[str, object]]]:
    codec = EncryptionCodec(parse_keys(stack.payload_keys), stack.payload_key_id)
    [sealed] = await codec.encode([PLAIN])
    return {"payloads": [json_format.MessageToDict(sealed)]}


async def test_the_temporal_uis_preflight_is_answered_as_it_sends_it(http: httpx.AsyncClient) -> None:
    """The UI's fetch sends Content-Type and X-Namespace, and Authorization when it passes the
    user's token: the browser asks first, in lower case, comma-separated."""
    for asked in ("authorization,content-type,x-namespace", "content-type,x-namespace"):
        preflight = await http.options(
            "/v1/codec/decode",
            headers={
                "Origin": UI,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": asked,
            },
        )
        assert preflight.status_code == 200, preflight.text
        assert preflight.headers["access-control-allow-origin"] == UI
        assert preflight.headers["access-control-allow-credentials"] == "true"
        assert "POST" in preflight.headers["access-control-allow-methods"]
        allowed = {h.strip().lower() for h in preflight.headers["access-control-allow-headers"].split(",")}
        assert set(asked.split(",")) <= allowed, allowed


async def test_the_ui_decodes_with_the_consoles_cookie_until_sign_out(
    stack: Settings, http: httpx.AsyncClient, auth: TokenFactory
) -> None:
    body = await _sealed_body(stack)
    ui = {"Origin": UI, "X-Namespace": "default"}
    assert (await http.post("/v1/codec/decode", json=body, headers=ui)).status_code == 401
    support = auth("support", "agent-ui")["Authorization"].removeprefix("Bearer ")
    csrf, signed = await console_sign_in(http, support)
    [codec_cookie] = [c.lower() for c in signed.headers.get_list("set-cookie") if "onestop_codec=" in c]
    assert (
        "path=/v1/codec" in codec_cookie and "httponly" in codec_cookie and "samesite=strict" in codec_cookie
    )
    opened = await http.post("/v1/codec/decode", json=body, headers=ui)  # cookies only, no token
    assert opened.status_code == 200, opened.text
    assert opened.headers["access-control-allow-origin"] == UI
    assert json_format.ParseDict(opened.json()["payloads"][0], Payload()) == PLAIN
    out = await http.post("/support/sign-out", data={"csrf_token": csrf})
    assert out.status_code == 303
    assert (await http.post("/v1/codec/decode", json=body, headers=ui)).status_code == 401
    http.cookies.set(
        "onestop_codec", auth("citizen")["Authorization"].removeprefix("Bearer "), path="/v1/codec"
    )
    assert (await http.post("/v1/codec/decode", json=body, headers=ui)).status_code == 403
