"""`onestop agency`: what an agency's developers need from OneStop before they run anything.

`contract` writes the OpenAPI document of the HTTP contract a connector agency implements (the one
the API serves at `/v1/agency/contract/openapi.json`), so it can be read, diffed or fed to a code
generator without a running OneStop. `check` compares an SDK agency's code with its entry in
`agencies.yaml` (`onestop/agency_check.py`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from activities.agency_contract import contract_document
from onestop.agency_check import differences
from onestop.agency_worker import load_agency
from onestop.user_errors import FAILED
from orchestrator.catalog import AGENCIES_FILE, read_directory
from orchestrator.settings import Settings

Out = Callable[[str], None]


def contract_json() -> str:
    """The document as committed under docs/: indented, keys in their built order, a final newline."""
    return json.dumps(contract_document(), indent=2, ensure_ascii=False) + "\n"


def register(app: typer.Typer, settings: Callable[[], Settings], out: Out) -> None:
    """Add `agency ...` to the CLI."""
    agency_app = typer.Typer(
        help="The contract agencies implement, and checks of an agency's code.", no_args_is_help=True
    )
    app.add_typer(agency_app, name="agency")

    @agency_app.command("contract")
    def contract(
        to: Annotated[
            Path | None, typer.Option("--out", help="write it to this file (default: standard output)")
        ] = None,
    ) -> None:
        """Print (or write) the OpenAPI document of the HTTP contract a connector agency implements:
        POST an action or its undo, GET health, and which replies mean done, rejected, retry or a
        configuration error.

        Example: onestop agency contract --out agency-contract.openapi.json
        """
        text = contract_json()
        if to is None:
            out(text.rstrip("\n"))
            return
        try:
            to.write_text(text)
        except OSError as exc:
            raise typer.BadParameter(f"cannot write {to}: {exc.strerror}", param_hint="--out") from None
        out(f"wrote {to}")

    @agency_app.command("check")
    def check(
        app_ref: Annotated[
            str, typer.Option("--app", help="module:attribute of the agency's onestop.sdk.Agency")
        ],
    ) -> None:
        """Compare an agency's code with its entry in ONESTOP_CATALOG_PATH's agencies.yaml: every
        action missing on either side, accepts, requires, types and returns that differ, and
        compensations without a handler. Exit 1 on any difference.

        Example: onestop agency check --app my_agency:permits
        """
        agency = load_agency(app_ref)
        file = settings().catalog_path / AGENCIES_FILE
        found = differences(agency, read_directory(file))
        for difference in found:
            out(str(difference))
        if found:
            out(f"{agency.name}: {len(found)} difference(s) from {file}")
            raise typer.Exit(FAILED)
        out(f"{agency.name} matches {file} ({len(agency.contract())} actions)")
