"""The embedded Temporal server runs with OneStop's dynamic config (`DYNAMIC_CONFIG`): the
session's own server process carries every value, and the installed binary still knows each key
(the dev server accepts an unknown key without a word, so an upgrade that renamed one would
silently bring back the 30-40 ms wait per dispatch)."""

from __future__ import annotations

import mmap
from pathlib import Path

from orchestrator.embedded import DYNAMIC_CONFIG, EmbeddedServers, dynamic_config_args, tool


def test_the_sessions_temporal_server_runs_with_the_dynamic_config(servers: EmbeddedServers) -> None:
    temporal = servers.named["temporal"]
    argv = Path(f"/proc/{temporal.pid}/cmdline").read_bytes().decode().split("\0")
    given = [argv[i + 1] for i, arg in enumerate(argv[:-1]) if arg == "--dynamic-config-value"]
    assert given == dynamic_config_args()[1::2]
    assert given == [
        "history.transferProcessorMaxPollRPS=1000",
        "system.forceSearchAttributesCacheRefreshOnRead=false",
    ]


def test_the_installed_temporal_binary_knows_every_key() -> None:
    with (
        open(tool("temporal"), "rb") as binary,
        mmap.mmap(binary.fileno(), 0, access=mmap.ACCESS_READ) as image,
    ):
        unknown = [key for key in DYNAMIC_CONFIG if image.find(key.encode()) < 0]
    assert unknown == []
