"""Agencies and life events only the simulator tests use, added to the session's catalog (both
reload live), so a test can make these registries misbehave without touching the agencies other
tests call. Their steps retry fast: a tenth of a second, then at most a second apart."""

from __future__ import annotations

import os
from pathlib import Path

import httpx

from tests.support import add_definition

AGENCIES = {"sim_registry": "register", "sim_tax": "notify", "sim_benefits": "notify"}
"""Each simulated agency and the action the `sim_resilience` life event asks of it."""

_DIRECTORY = """\
  sim_registry:
    title: Simulated registry
    actions:
      register: {title: Register, accepts: [citizen_name, new_address], requires: [citizen_name]}
      unregister: {title: Undo a registration}
  sim_tax:
    title: Simulated tax office
    actions:
      notify: {title: Notify, accepts: [citizen_name, new_address], requires: [citizen_name, new_address], types: {new_address: string}}
      withdraw: {title: Withdraw a notification}
  sim_benefits:
    title: Simulated benefits agency
    actions:
      notify: {title: Notify, accepts: [citizen_name], requires: [citizen_name]}
      withdraw: {title: Withdraw a notification}
"""

_FAST = "    retry: {initial_interval_seconds: 0.1, backoff: 2, maximum_interval_seconds: 1}\n"

RESILIENCE = f"""\
type: sim_resilience
version: 1
title: Three simulated registries, retried fast
inputs:
  - {{name: citizen_name, type: string}}
  - {{name: new_address, type: string}}
steps:
  - id: register
    agency: sim_registry
    action: register
    compensation: unregister
    inputs: [citizen_name, new_address]
{_FAST}  - id: notify_tax
    agency: sim_tax
    action: notify
    compensation: withdraw
    depends_on: [register]
    inputs: [citizen_name, new_address]
{_FAST}  - id: notify_benefits
    agency: sim_benefits
    action: notify
    compensation: withdraw
    depends_on: [register]
    inputs: [citizen_name]
{_FAST}"""

CONTRACT = f"""\
type: sim_contract
version: 1
title: A step whose agency requires a field the citizen may leave out
inputs:
  - {{name: citizen_name, type: string}}
  - {{name: new_address, type: string, required: false}}
steps:
  - id: register
    agency: sim_registry
    action: register
    compensation: unregister
    inputs: [citizen_name]
{_FAST}  - id: notify_tax
    agency: sim_tax
    action: notify
    compensation: withdraw
    depends_on: [register]
    inputs: [citizen_name, new_address]
{_FAST}"""

SLOW = f"""\
type: sim_slow
version: 1
title: A step that gives its agency three seconds
inputs:
  - {{name: citizen_name, type: string}}
  - {{name: new_address, type: string}}
steps:
  - id: notify_tax
    agency: sim_tax
    action: notify
    compensation: withdraw
    inputs: [citizen_name, new_address]
    timeout_seconds: 3
{_FAST}"""

DATA = {"citizen_name": "Ana Lima", "new_address": "12 Rua das Flores, Porto"}


def install(catalog: Path) -> None:
    """Add the agencies (once) and the life events to the catalog."""
    agencies = catalog / "agencies.yaml"
    text = agencies.read_text()
    if "  sim_registry:" not in text:
        agencies.write_text(text.rstrip("\n") + "\n" + _DIRECTORY)
        stamp = agencies.stat().st_mtime_ns + 1_000_000  # a modification time of its own
        os.utime(agencies, ns=(stamp, stamp))
    for name, definition in (("sim_resilience", RESILIENCE), ("sim_contract", CONTRACT), ("sim_slow", SLOW)):
        add_definition(catalog, name, definition)


async def heal(simulators: httpx.AsyncClient) -> None:
    """Every simulated agency healthy again."""
    for agency in AGENCIES:
        response = await simulators.delete(f"/admin/agencies/{agency}/behaviour")
        assert response.status_code == 204, response.text
