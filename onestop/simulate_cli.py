"""`onestop simulate`: make a simulated agency misbehave while OneStop runs, as support.

It changes the agency's behaviour on the running simulators (`PATCH`, so each run changes only
what it names; `--reset` first makes the agency healthy) with a support token signed by the
configured key, as `onestop token` signs one. Demos and drills: "the tax office fails one call
in three", "the registry is down for a minute".
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from typing import Annotated, Any

import httpx
import typer

from onestop.user_errors import FAILED, refused
from orchestrator.auth import Principal, Role, issue_token
from orchestrator.settings import Settings

Out = Callable[[str], None]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def duration_seconds(text: str, unit: str, param: str) -> float:
    """`60s`, `2m`, `1.5h`, `200ms`; a bare number is in `unit`."""
    match = _DURATION.match(text)
    if match is None:
        raise typer.BadParameter(
            f"{text!r} is not a duration: write e.g. 60s, 2m, 1h or 200ms", param_hint=param
        )
    return float(match[1]) * _SECONDS[match[2] or unit]


Rate = Annotated[float | None, typer.Option(min=0.0, max=1.0)]


def register(app: typer.Typer, settings: Callable[[], Settings], out: Out) -> None:
    """Add `simulate` to the CLI."""

    @app.command()
    def simulate(
        agency: Annotated[str, typer.Option(help="the agency, as agencies.yaml names it")],
        error_rate: Rate = None,
        rejection_rate: Rate = None,
        rejection_code: Annotated[str | None, typer.Option(help="reason code of a rejection")] = None,
        lost_reply_rate: Annotated[
            float | None, typer.Option(min=0.0, max=1.0, help="acted, answer lost: a duplicate follows")
        ] = None,
        slow_rate: Annotated[
            float | None, typer.Option(min=0.0, max=1.0, help="answers after OneStop's agency timeout")
        ] = None,
        latency: Annotated[str | None, typer.Option(help="every answer's delay, e.g. 200ms")] = None,
        jitter: Annotated[str | None, typer.Option(help="up to this much more, e.g. 50ms")] = None,
        outage: Annotated[str | None, typer.Option(help="down from now for, e.g. 60s or 5m")] = None,
        seed: Annotated[
            int | None, typer.Option(help="the agency's own generator, for repeatable runs")
        ] = None,
        reset: Annotated[bool, typer.Option("--reset", help="make the agency healthy first")] = False,
        show: Annotated[bool, typer.Option("--show", help="print the agency's behaviour")] = False,
    ) -> None:
        """Make a simulated agency fail, slow down or go down, at run time (support's token).

        Rates are probabilities per call (0..1); each run changes only what it names.
        Example: onestop simulate --agency tax_office --error-rate 0.3 --outage 60s
        """
        changes: dict[str, Any] = {
            k: v
            for k, v in {
                "error_rate": error_rate,
                "rejection_rate": rejection_rate,
                "rejection_code": rejection_code,
                "lost_reply_rate": lost_reply_rate,
                "slow_beyond_timeout": slow_rate,
                "seed": seed,
            }.items()
            if v is not None
        }
        if outage is not None:
            changes["outage_seconds"] = duration_seconds(outage, "s", "--outage")
        if latency is not None or jitter is not None:
            changes["latency_ms"] = {
                "fixed": duration_seconds(latency or "0", "ms", "--latency") * 1000,
                "jitter": duration_seconds(jitter or "0", "ms", "--jitter") * 1000,
            }
        if not (changes or reset or show):
            raise typer.BadParameter(
                "nothing to change: give e.g. --error-rate 0.3, --outage 60s, --reset or --show",
                param_hint="--agency",
            )
        current = settings()
        path = f"/admin/agencies/{agency}/behaviour"
        try:
            with _client(current) as sim:
                if reset:
                    _check(sim.delete(path))
                answer = _check(sim.patch(path, json=changes) if changes else sim.get(path))
        except httpx.TransportError as exc:
            sys.stderr.write(
                f"error: cannot reach the agency simulators at {current.agency_base_url} "
                f"({type(exc).__name__}): start them with `onestop dev`, or point "
                "ONESTOP_SIMULATOR_PORT (or ONESTOP_AGENCY_BASE_URL) at them\n"
            )
            raise typer.Exit(FAILED) from None
        if changes or show:
            out(json.dumps(answer.json(), indent=2))
        else:
            out(f"{agency} behaves well again")


def _client(settings: Settings) -> httpx.Client:
    bearer = issue_token(
        Principal(sub="onestop-simulate", role=Role.support), settings.jwt_secret, 300, settings.token_rules
    )
    return httpx.Client(
        base_url=settings.agency_base_url, headers={"Authorization": f"Bearer {bearer}"}, timeout=30
    )


def _check(call: httpx.Response) -> httpx.Response:
    """The simulators' refusal as one line on stderr (exit 2 when the request was the user's)."""
    if call.is_error:
        body = _json(call)
        detail = body.get("detail") if isinstance(body, dict) else None
        if isinstance(detail, dict) and detail.get("code") == "unknown_agency":
            line, code = f"{detail['message']}: name one agencies.yaml lists", 2
        else:
            line, code = refused(call, "check the flags")
            line = line.replace("the API answered", "the simulators answered", 1)
        sys.stderr.write(f"error: {line}\n")
        raise typer.Exit(code)
    return call


def _json(call: httpx.Response) -> Any:
    try:
        return call.json()
    except ValueError:
        return None
