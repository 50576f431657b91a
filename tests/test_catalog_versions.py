"""Versions of a life event compared while the stack runs: a definition changed in the session's
catalog, a case started on each version, and the diff names what changed and the open cases on
each version (the cases wait for the citizen, so they stay open)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import httpx

from orchestrator.settings import Settings
from tests.conftest import TokenFactory
from tests.support import CaseWatcher
from tests.test_catalog_api import CORRECTION_V1
from tests.test_cli import _at, run

# The catalog tests' correction, as a life event of its own with its own title.
V1 = CORRECTION_V1.replace("address_correction", "address_fix").replace(
    "Correct a registered address", "Fix a registered address"
)
V2 = (
    V1.replace("version: 1", "version: 2")
    .replace("kind: citizen_input", "kind: citizen_input\n    wait_days: 7")
    .replace(
        "  - {name: new_address, type: string, required: false}",
        "  - {name: new_address, type: string, required: false}\n  - {name: moved, type: boolean, personal: false, default: false}",
    )
    + """
  - id: tell_tax
    agency: tax_office
    action: update_address
    depends_on: [confirm_address]
    when: data.moved
    inputs: [citizen_name, new_address]
"""
)


def _save(path: Path, text: str) -> None:
    """Write with a modification time of its own, as an editor's save would give it."""
    path.write_text(text)
    stamp = path.stat().st_mtime_ns + 1_000_000
    os.utime(path, ns=(stamp, stamp))


async def test_diff_names_what_changed_and_the_open_cases_on_each_version(
    stack: Settings, watcher: CaseWatcher, auth: TokenFactory, citizen: str, tmp_path: Path
) -> None:
    path = stack.catalog_path / "address_fix.yaml"
    designer = auth("designer", "designer-1")
    _save(path, V1)
    only_one = await watcher.http.get("/v1/catalog/address_fix/diff", headers=designer)
    assert only_one.status_code == 422 and "has one version only" in only_one.json()["detail"]
    old = await watcher.start(citizen, "address_fix", {"citizen_name": "Ana"})
    await watcher.wait(citizen, old, {"waiting"})
    _save(path, V2)
    new = await watcher.start(citizen, "address_fix", {"citizen_name": "Ana", "moved": True})
    await watcher.wait(citizen, new, {"waiting"})
    response = await watcher.http.get("/v1/catalog/address_fix/diff", headers=designer)
    assert response.status_code == 200, response.text
    diff = response.json()
    assert (diff["from"]["version"], diff["to"]["version"]) == (1, 2)
    assert diff["steps"] == {
        "added": ["tell_tax"],
        "removed": [],
        "changed": [{"name": "confirm_address", "keys": ["wait_days"]}],
    }
    assert diff["inputs"] == {"added": ["moved"], "removed": [], "changed": []}
    assert diff["agencies"] == {"added": ["tax_office"], "removed": [], "changed": []}
    assert diff["fields_shared"] == [
        {"agency": "tax_office", "added": ["citizen_name", "new_address"], "removed": []}
    ]
    assert [(v["version"], v["open_cases"], v["live"]) for v in diff["versions"]] == [
        (1, 1, False),
        (2, 1, True),
    ]
    backwards = await watcher.http.get(
        "/v1/catalog/address_fix/diff",
        params={"from": "2", "to": diff["from"]["digest"][:8]},
        headers=designer,
    )
    assert backwards.status_code == 200, backwards.text
    assert backwards.json()["steps"]["removed"] == ["tell_tax"]
    bad = await watcher.http.get(
        "/v1/catalog/address_fix/diff", params={"from": "7", "to": "latest"}, headers=designer
    )
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["to", "from"]
    assert "no version '7'; known: v1 " in bad.text
    printed = await asyncio.to_thread(run, "catalog", "diff", "address_fix", home=tmp_path, extra=_at(stack))
    assert printed.returncode == 0, printed.stderr
    v1, v2 = (f"v{v['version']} ({v['digest'][:12]})" for v in diff["versions"])
    assert printed.stdout.splitlines() == [
        f"address_fix: {v1} -> {v2}",
        "steps added: tell_tax",
        "steps changed: confirm_address (wait_days)",
        "inputs added: moved",
        "agencies added: tax_office",
        "fields shared with tax_office: +citizen_name, +new_address",
        "versions (oldest first)",
        f"  {v1}: 1 open case(s)",
        f"  {v2}: 1 open case(s), live",
    ]
    refused = await asyncio.to_thread(
        run, "catalog", "diff", "address_fix", "--from", "9", home=tmp_path, extra=_at(stack)
    )
    assert refused.returncode == 2 and refused.stderr.startswith(
        "error: the API answered 422: from: no version '9'"
    )
    for case_id in (old, new):  # answered, the cases end and are no longer open
        answered = await watcher.http.post(
            f"/v1/cases/{case_id}/steps/confirm_address/input",
            json={"data": {"new_address": "7 Rua Direita"}},
            headers=watcher.auth("citizen", citizen),
        )
        assert answered.status_code == 200, answered.text
        await watcher.wait(citizen, case_id)
    after = (await watcher.http.get("/v1/catalog/address_fix/diff", headers=designer)).json()
    assert [v["open_cases"] for v in after["versions"]] == [0, 0]
    _save(path, V2.replace("title: Fix a registered address", "title: Fix an address"))  # no version bump
    retitled = (await watcher.http.get("/v1/catalog/address_fix/diff", headers=designer)).json()
    assert [(v["version"], v["live"]) for v in retitled["versions"]] == [(1, False), (2, False), (2, True)]
    assert retitled["steps"] == retitled["inputs"] == {"added": [], "removed": [], "changed": []}
    ambiguous = await watcher.http.get("/v1/catalog/address_fix/diff", params={"from": "2"}, headers=designer)
    assert ambiguous.status_code == 422 and "v2 has 2 digests" in ambiguous.json()["detail"]
    unchanged = await asyncio.to_thread(
        run, "catalog", "diff", "address_fix", home=tmp_path, extra=_at(stack)
    )
    assert "no change in steps, inputs, agencies or fields shared" in unchanged.stdout


async def test_diff_refuses_unknown_types_and_non_designers(
    http: httpx.AsyncClient, auth: TokenFactory
) -> None:
    unknown = await http.get("/v1/catalog/movng_house/diff", headers=auth("designer", "d"))
    assert unknown.status_code == 404 and "did you mean 'moving_house'?" in unknown.json()["detail"]
    for role in ("citizen", "support"):
        refused = await http.get("/v1/catalog/moving_house/diff", headers=auth(role, "someone"))
        assert refused.status_code == 403, role
