"""`onestop simulate`, run as a user runs it, against the session's running simulators: it
changes an agency's behaviour at run time with a support token it signs itself, and tells a bad
flag, an unknown agency or absent simulators in one line."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from orchestrator.embedded import free_port
from orchestrator.settings import Settings
from tests import simulated_registries as sim
from tests.conftest import TokenFactory
from tests.test_cli import run

BEHAVIOUR = "/admin/agencies/sim_tax/behaviour"


@pytest.fixture
async def healthy(stack: Settings, simulators: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    sim.install(stack.catalog_path)
    await sim.heal(simulators)
    yield simulators
    await sim.heal(simulators)


def _at(stack: Settings) -> dict[str, str]:
    return {"ONESTOP_SIMULATOR_PORT": str(stack.simulator_port), "ONESTOP_JWT_SECRET": stack.jwt_secret}


async def simulate(
    tmp_path: Path, stack: Settings, *args: str, extra: dict[str, str] | None = None
) -> tuple[int, str, str]:
    result = await asyncio.to_thread(
        run, "simulate", *args, home=tmp_path, extra={**_at(stack), **(extra or {})}
    )
    return result.returncode, result.stdout, result.stderr


async def test_simulate_sets_changes_shows_and_resets_an_agency(
    tmp_path: Path, stack: Settings, healthy: httpx.AsyncClient, auth: TokenFactory
) -> None:
    code, out, err = await simulate(
        tmp_path, stack, "--agency", "sim_tax", "--error-rate", "0.3", "--outage", "60s",
        "--latency", "200ms", "--jitter", "50", "--rejection-rate", "0.1", "--rejection-code", "closed",
    )  # fmt: skip
    assert code == 0, err
    shown = json.loads(out)
    assert (shown["error_rate"], shown["rejection_rate"], shown["rejection_code"]) == (0.3, 0.1, "closed")
    assert shown["latency_ms"] == {"fixed": 200.0, "jitter": 50.0}
    assert 0 < shown["outage_seconds"] <= 60
    assert (await healthy.get(BEHAVIOUR)).json()["error_rate"] == 0.3  # on the running simulators
    body = {"case_id": "c-cli", "step_id": "s", "subject": "s-cli", "fields": sim.DATA}
    headers = {**auth("agency", "tax-1", agency="sim_tax"), "Idempotency-Key": f"cli-{uuid.uuid4().hex}"}
    down = await healthy.post("/agencies/sim_tax/actions/notify", json=body, headers=headers)
    assert down.status_code == 503 and down.json()["detail"]["code"] == "agency_down"

    code, out, err = await simulate(tmp_path, stack, "--agency", "sim_tax", "--error-rate", "0.5")
    assert code == 0, err
    changed = json.loads(out)  # only the error rate changed; the outage runs on
    assert (changed["error_rate"], changed["rejection_code"]) == (0.5, "closed")
    assert 0 < changed["outage_seconds"] <= shown["outage_seconds"]

    code, out, err = await simulate(tmp_path, stack, "--agency", "sim_tax", "--show")
    assert code == 0 and json.loads(out)["error_rate"] == 0.5

    code, out, err = await simulate(tmp_path, stack, "--agency", "sim_tax", "--reset")
    assert code == 0 and out.strip() == "sim_tax behaves well again", err
    healed = (await healthy.get(BEHAVIOUR)).json()
    assert (healed["error_rate"], healed["outage_seconds"], healed["outage_until"]) == (0, 0, None)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--agency", "sim_tax", "--error-rate", "1.5"), "Invalid value for '--error-rate'"),
        (("--agency", "sim_tax", "--outage", "soon"), "'soon' is not a duration: write e.g. 60s"),
        (("--agency", "sim_tax", "--latency", "fast"), "Invalid value for --latency"),
        (("--agency", "sim_tax",), "nothing to change: give e.g. --error-rate 0.3"),
        (("--error-rate", "0.3",), "Missing option '--agency'"),
        (("--agency", "sim_taxes", "--error-rate", "0.3"), "no agency sim_taxes in the directory"),
    ],
    ids=["rate", "outage", "latency", "nothing", "no-agency", "unknown-agency"],
)  # fmt: skip
async def test_a_bad_flag_is_one_line_and_exit_2(
    tmp_path: Path, stack: Settings, healthy: httpx.AsyncClient, args: tuple[str, ...], says: str
) -> None:
    code, out, err = await simulate(tmp_path, stack, *args)
    assert code == 2, (out, err)
    assert err.startswith("error: ") and says in err and err.count("\n") == 1, err
    assert (await healthy.get(BEHAVIOUR)).json()["error_rate"] == 0  # nothing changed


async def test_simulate_says_how_to_reach_the_simulators_and_which_key_to_use(
    tmp_path: Path, stack: Settings
) -> None:
    code, _, err = await simulate(
        tmp_path, stack, "--agency", "sim_tax", "--show", extra={"ONESTOP_SIMULATOR_PORT": str(free_port())}
    )
    assert code == 1 and "cannot reach the agency simulators" in err and err.count("\n") == 1, err
    code, _, err = await simulate(
        tmp_path,
        stack,
        "--agency",
        "sim_tax",
        "--show",
        extra={"ONESTOP_JWT_SECRET": "another-key-" + "x" * 40},
    )
    assert code == 2 and "ONESTOP_JWT_SECRET" in err and "Traceback" not in err, err
