"""The one way OneStop connects to Temporal: with the Pydantic data converter, everywhere."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter


async def connect_temporal(address: str, namespace: str = "default") -> Client:
    return await Client.connect(address, namespace=namespace, data_converter=pydantic_data_converter)


def workflow_id(case_id: str) -> str:
    return f"case-{case_id}"
