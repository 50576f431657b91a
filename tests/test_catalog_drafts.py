"""Drafts checked from outside the catalog: `onestop catalog validate PATH...` (as a separate
process) and `POST /v1/catalog:validate`, which judge a definition with the same code against
the live agency directory, unless a folder being checked carries its own."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from tests.conftest import CATALOG, TokenFactory
from tests.test_cli import run

MARRIAGE = (CATALOG / "marriage.yaml").read_text()
AGENCIES = (CATALOG / "agencies.yaml").read_text()
ADOPTION = """\
type: adoption
version: 1
title: Adoption
inputs:
  - {name: child_name, type: string}
  - {name: parent_name, type: string}
steps:
  - {id: register_adoption, agency: adoption_court, action: register, inputs: [child_name, parent_name]}
"""
COURT = """\
  adoption_court:
    title: Adoption court
    actions:
      register: {title: Register an adoption, accepts: [child_name, parent_name]}
"""


def test_a_single_draft_outside_the_catalog_is_checked_against_the_live_directory(tmp_path: Path) -> None:
    good, bad = tmp_path / "wedding.yaml", tmp_path / "bad.yaml"
    good.write_text(MARRIAGE.replace("type: marriage", "type: wedding"))
    bad.write_text(MARRIAGE.replace("agency: tax_office", "agency: tax_ofice"))
    result = run("catalog", "validate", str(good), home=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith(f"ok wedding v1: 4 steps ({good})")
    result = run("catalog", "validate", str(good), str(bad), home=tmp_path)
    assert result.returncode == 1 and result.stderr == ""
    assert f"invalid {bad}: 1 problem(s)" in result.stdout
    assert f"    {bad}:" in result.stdout and "unknown agency 'tax_ofice'" in result.stdout


def test_a_folder_without_a_directory_uses_the_live_one_and_one_with_its_own_uses_that(
    tmp_path: Path,
) -> None:
    drafts = tmp_path / "drafts"
    drafts.mkdir()
    (drafts / "adoption.yaml").write_text(ADOPTION)
    live = run("catalog", "validate", str(drafts), home=tmp_path)
    assert live.returncode == 1
    assert "unknown agency 'adoption_court'" in live.stdout
    (drafts / "agencies.yaml").write_text(AGENCIES + COURT)
    own = run("catalog", "validate", str(drafts), home=tmp_path)
    assert own.returncode == 0, own.stdout
    assert own.stdout.splitlines() == [
        f"ok agency directory ({drafts / 'agencies.yaml'})",
        f"ok adoption v1: 1 steps ({drafts / 'adoption.yaml'})",
    ]


def test_a_folder_whose_own_directory_is_broken_says_so_and_checks_nothing_against_it(tmp_path: Path) -> None:
    drafts = tmp_path / "drafts"
    drafts.mkdir()
    (drafts / "adoption.yaml").write_text(ADOPTION)
    (drafts / "agencies.yaml").write_text(AGENCIES + COURT.replace("    actions:", "    actoins:"))
    result = run("catalog", "validate", str(drafts), home=tmp_path)
    assert result.returncode == 1
    assert "$.agencies.adoption_court.actoins: Extra inputs are not permitted" in result.stdout
    assert f"not checked: {drafts / 'agencies.yaml'} is invalid" in result.stdout


def test_a_broken_live_directory_is_named_once_per_draft(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog"
    catalog.mkdir()
    (catalog / "agencies.yaml").write_text("agencies: [\n")
    draft = tmp_path / "wedding.yaml"
    draft.write_text(MARRIAGE)
    where = {"ONESTOP_CATALOG_PATH": str(catalog)}
    result = run("catalog", "validate", str(draft), home=tmp_path, extra=where)
    assert result.returncode == 1
    [problem] = [line for line in result.stdout.splitlines() if line.startswith("    ")]
    assert f"not checked: the live agency directory {catalog / 'agencies.yaml'} is invalid" in problem
    empty = tmp_path / "empty"
    empty.mkdir()
    missing = run(
        "catalog", "validate", str(draft), home=tmp_path, extra={"ONESTOP_CATALOG_PATH": str(empty)}
    )
    assert "is missing: set ONESTOP_CATALOG_PATH" in missing.stdout


def test_an_empty_folder_and_a_missing_path_say_what_to_give(tmp_path: Path) -> None:
    result = run("catalog", "validate", str(tmp_path), home=tmp_path)
    assert result.returncode == 1
    assert "no definitions (*.yaml) in this folder" in result.stdout
    missing = run("catalog", "validate", str(tmp_path / "nope.yaml"), home=tmp_path)
    assert missing.returncode == 2
    assert missing.stderr == (
        f"error: Invalid value for PATH: {tmp_path / 'nope.yaml'} does not exist: "
        "name a definition file or a catalog folder (see `onestop catalog validate --help`)\n"
    )


def test_two_drafts_of_one_type_in_a_folder_are_reported(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(MARRIAGE)
    (tmp_path / "b.yaml").write_text(MARRIAGE.replace("version: 1", "version: 2"))
    result = run("catalog", "validate", str(tmp_path), home=tmp_path)
    assert result.returncode == 1
    assert "type 'marriage' is defined in a.yaml too" in result.stdout


async def test_the_cli_and_the_api_judge_a_draft_alike(
    tmp_path: Path, http: httpx.AsyncClient, auth: TokenFactory
) -> None:
    text = MARRIAGE.replace("agency: tax_office", "agency: tax_ofice").replace(
        "when: data.change_surname", "when: data.change_surnam"
    )
    draft = tmp_path / "draft.yaml"
    draft.write_text(text)
    result = await asyncio.to_thread(run, "catalog", "validate", str(draft), home=tmp_path)
    cli = [line.strip().replace(str(draft), "definition") for line in result.stdout.splitlines()[1:]]
    headers = {**auth("designer", "d-1"), "Content-Type": "application/yaml"}
    api = (await http.post("/v1/catalog:validate", content=text, headers=headers)).json()
    assert api["valid"] is False and len(api["problems"]) == 2
    assert cli == api["problems"]
