"""`onestop agency check`: an SDK agency's contract (accepts, requires, types, returns, its
compensations) compared with its entry in agencies.yaml, every difference listed, exit 1 on any."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from onestop.agency_check import differences
from onestop.sdk import ActionContext, Agency
from onestop.sdk.agency import Reply
from orchestrator.agencies import AgencyDirectory
from tests.test_agency_sdk import ONESTOP, ROOT

MATCHING: dict[str, Any] = {
    "title": "Parking permit office",
    "hosting": "agency",
    "task_queue": "permit-office",
    "actions": {
        "issue_permit": {
            "title": "Issue a residents' parking permit",
            "accepts": ["citizen_name", "new_address"],
            "requires": ["citizen_name", "new_address"],
            "types": {"citizen_name": "string", "new_address": "string"},
            "returns": ["zone"],
        },
        "revoke_permit": {"title": "Revoke a parking permit"},
    },
}
DRIFTED: dict[str, Any] = {
    "title": "Parking permit office",
    "actions": {
        "issue_permit": {
            "accepts": ["citizen_name", "move_date"],
            "requires": ["citizen_name"],
            "types": {"citizen_name": "string", "move_date": "date"},
        },
        "suspend_permit": {"title": "Suspend a parking permit"},
    },
}


def _check(tmp_path: Path, entry: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    catalog = tmp_path / "catalog"
    catalog.mkdir()
    (catalog / "agencies.yaml").write_text(yaml.safe_dump({"agencies": {"permit_office": entry}}))
    env = {
        "ONESTOP_HOME": str(tmp_path),
        "ONESTOP_CATALOG_PATH": str(catalog),
        "PATH": str(Path(ONESTOP).parent),
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.run(
        [ONESTOP, "agency", "check", "--app", "tests.sdk_agency:permits"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_an_agency_that_matches_its_entry_passes(tmp_path: Path) -> None:
    done = _check(tmp_path, MATCHING)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("permit_office matches ") and "(2 actions)" in done.stdout


def test_every_difference_is_listed_and_the_check_fails(tmp_path: Path) -> None:
    done = _check(tmp_path, DRIFTED)
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stdout.splitlines() == [
        "permit_office: agencies.yaml has it called by OneStop's connector: code with its own worker "
        "needs hosting: agency",
        "issue_permit.accepts: the code has new_address; agencies.yaml does not",
        "issue_permit.accepts: agencies.yaml has move_date; the code does not",
        "issue_permit.requires: the code has new_address; agencies.yaml does not",
        "issue_permit.types.new_address: the code says string, agencies.yaml untyped",
        "issue_permit.types.move_date: the code says untyped, agencies.yaml date",
        "issue_permit.returns: the code has zone; agencies.yaml does not",
        "revoke_permit: in the code, not in agencies.yaml",
        "suspend_permit: in agencies.yaml, not in the code",
        f"permit_office: 9 difference(s) from {tmp_path / 'catalog' / 'agencies.yaml'}",
    ]


def test_an_agency_missing_from_the_directory_is_one_difference() -> None:
    from tests.sdk_agency import permits

    directory = AgencyDirectory.model_validate({"agencies": {}})
    assert [str(d) for d in differences(permits, directory)] == ["permit_office: not in agencies.yaml"]


class Booking(BaseModel):
    citizen_name: str
    visit_on: date
    party: int | None = None
    notes: list[str] = []


def test_types_come_from_the_model_and_a_compensation_without_handler_is_told() -> None:
    clinic = Agency("clinic")

    @clinic.action("book_visit", compensation="cancel_visit")
    async def book_visit(ctx: ActionContext, data: Booking) -> Reply:
        return Reply(reference="V-1")

    contract = clinic.contract()["book_visit"]
    # `notes` has no word in agencies.yaml's vocabulary: accepted, left untyped.
    assert contract["types"] == {"citizen_name": "string", "visit_on": "date", "party": "integer"}
    assert contract["requires"] == ["citizen_name", "visit_on"]
    entry = {
        "title": "Clinic",
        "hosting": "agency",
        "task_queue": "clinic",
        "actions": {
            "book_visit": {
                "accepts": ["citizen_name", "visit_on", "party", "notes"],
                "requires": ["citizen_name", "visit_on"],
                "types": {"citizen_name": "string", "visit_on": "date", "party": "integer"},
            },
            "cancel_visit": {},
        },
    }
    directory = AgencyDirectory.model_validate({"agencies": {"clinic": entry}})
    assert [str(d) for d in differences(clinic, directory)] == [
        "cancel_visit: in agencies.yaml, not in the code",
        "book_visit.compensation: cancel_visit has no handler: add one with "
        "@<agency>.compensation('cancel_visit')",
    ]
