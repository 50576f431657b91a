"""The one way OneStop connects to Temporal: Pydantic models as JSON, encrypted, everywhere
(API, workers, CLI, tests and replay take their data converter from here)."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.converter import DataConverter

from orchestrator.payload_codec import EncryptionCodec, encrypted_converter, parse_keys
from orchestrator.settings import Settings


def data_converter(settings: Settings) -> DataConverter:
    return encrypted_converter(
        EncryptionCodec(
            parse_keys(settings.payload_keys),
            settings.payload_key_id,
            compress_from=settings.payload_compress_from_bytes,
        )
    )


async def connect_temporal(settings: Settings) -> Client:
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=data_converter(settings),
    )


def workflow_id(case_id: str) -> str:
    return f"case-{case_id}"
