"""The remote codec the Temporal UI calls to show support staff decrypted payloads.

The UI posts payloads in their protobuf JSON form (`{"payloads": [{"metadata", "data"}]}`) to
`/v1/codec/decode`; the answer has the same shape, decrypted with the keys this API holds.
Support role only: the UI must be set to pass the signed-in person's token. CORS admits the
Temporal UI's origin (`ONESTOP_TEMPORAL_UI_ORIGINS`) and no other.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from google.protobuf import json_format
from pydantic import BaseModel, Field
from temporalio.api.common.v1 import Payloads

from api.deps import ServicesDep, SupportDep
from orchestrator.errors import InputError
from orchestrator.payload_codec import PayloadKeyError

router = APIRouter(prefix="/v1/codec", tags=["support"])


class CodecPayloads(BaseModel):
    payloads: list[dict[str, Any]] = Field(max_length=1000, description="payloads, protobuf JSON form")


@router.post("/decode", response_model=CodecPayloads)
async def decode(body: CodecPayloads, support: SupportDep, services: ServicesDep) -> CodecPayloads:
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
