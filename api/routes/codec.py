"""The remote codec the Temporal UI calls to show support staff decrypted payloads.

The UI posts payloads in their protobuf JSON form (`{"payloads": [{"metadata", "data"}]}`) to
`/v1/codec/decode`; the answer has the same shape, decrypted with the keys this API holds.
CORS admits the Temporal UI's origin (`ONESTOP_TEMPORAL_UI_ORIGINS`) and no other.

Support role only, shown one of two ways. The UI can pass its own signed-in user's access token
(`Authorization`), but only over HTTPS and only where the UI has a sign-in of its own; the dev
server's UI has neither. Otherwise it can send the browser's cookies ("include cross-origin
credentials"): signing in to the support console also sets `onestop_codec`, the same token in an
HttpOnly, SameSite=Strict cookie scoped to this path, and a UI on the same host (another port
is the same site) sends it. Decoding changes nothing, and only the UI's origin may read the
answer, so a cookie here gives a forged request nothing to gain.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from google.protobuf import json_format
from pydantic import BaseModel, Field
from temporalio.api.common.v1 import Payloads

from api.deps import ServicesDep, require
from api.pages.session import SessionCookie
from orchestrator.auth import Principal, Role
from orchestrator.errors import InputError, Unauthenticated
from orchestrator.payload_codec import PayloadKeyError
from orchestrator.permissions import Permission

CODEC_PATH = "/v1/codec"
CODEC_SESSION = SessionCookie("onestop_codec", CODEC_PATH, Role.support)
"""Set and cleared with the console's session: the Temporal UI's way in without a token."""

router = APIRouter(prefix=CODEC_PATH, tags=["support"])
_bearer = HTTPBearer(auto_error=False)


def codec_reader(
    request: Request,
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The bearer token's principal, else the codec cookie's; support only."""
    token = credentials.credentials if credentials else request.cookies.get(CODEC_SESSION.name)
    if not token:
        raise Unauthenticated("missing bearer token (or sign in to the support console first)")
    return require(services.tokens.verify(token), Permission.decode_payloads)


codec_reader.permission = Permission.decode_payloads  # type: ignore[attr-defined]
DecodePayloadsDep = Annotated[Principal, Depends(codec_reader)]


class CodecPayloads(BaseModel):
    payloads: list[dict[str, Any]] = Field(max_length=1000, description="payloads, protobuf JSON form")


@router.post("/decode", response_model=CodecPayloads)
async def decode(body: CodecPayloads, support: DecodePayloadsDep, services: ServicesDep) -> CodecPayloads:
    """Decrypt payloads for the Temporal UI; plain ones come back as they were."""
    codec = services.temporal.data_converter.payload_codec
    try:
        payloads = json_format.ParseDict(body.model_dump(), Payloads())
    except json_format.ParseError as exc:
        raise InputError("payloads", f"not Temporal payloads: {exc}") from None
    try:
        decoded = await codec.decode(payloads.payloads) if codec else list(payloads.payloads)
    except PayloadKeyError as exc:
        raise InputError("payloads", str(exc)) from None
    except Exception:  # a forged or truncated payload fails authentication
        raise InputError("payloads", "a payload could not be decrypted: altered or not ours") from None
    return CodecPayloads(payloads=[json_format.MessageToDict(p) for p in decoded])
