"""The `onestop` command line, run as a user runs it (a separate process)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jwt
import pytest
import typer.main

from onestop import cli
from onestop.bare_fan_out import STEP_TIMEOUT_SECONDS
from onestop.bench import DEFERRED_SECONDS
from onestop.bench_memory import _growth
from orchestrator.definition import StepDefinition
from orchestrator.embedded import free_port
from orchestrator.settings import Settings
from tests.conftest import CATALOG

ONESTOP = str(Path(sys.executable).parent / "onestop")
# The checkout under test comes first: the venv's editable install may point at another one.
ROOT = str(Path(__file__).resolve().parent.parent)


def run(
    *args: str, home: Path, extra: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    env = {
        "ONESTOP_HOME": str(home),
        "ONESTOP_LOG_JSON": "true",
        "PATH": str(Path(sys.executable).parent),
        "PYTHONPATH": ROOT,
    }
    env |= extra or {}
    return subprocess.run(
        [ONESTOP, *args], capture_output=True, text=True, env=env, timeout=timeout, check=False
    )


def test_token_prints_a_verifiable_jwt(tmp_path: Path) -> None:
    result = run("token", "--role", "agency", "--sub", "tax-1", "--agency", "tax_office", home=tmp_path)
    assert result.returncode == 0, result.stderr
    secret = (tmp_path / "jwt.key").read_text().strip()
    claims = jwt.decode(result.stdout.strip(), secret, algorithms=["HS256"], audience="onestop-api")
    assert (claims["role"], claims["sub"], claims["agency"]) == ("agency", "tax-1", "tax_office")


def test_token_rejects_agency_claim_on_citizen(tmp_path: Path) -> None:
    result = run("token", "--role", "citizen", "--sub", "c", "--agency", "tax_office", home=tmp_path)
    assert result.returncode == 2
    assert "agency claim" in result.stderr


def test_usage_errors_are_told_without_a_traceback(tmp_path: Path) -> None:
    missing = run("token", "--sub", "c", home=tmp_path)
    assert missing.returncode == 2
    assert missing.stderr.startswith("error: Missing option '--role'.")
    bad_json = run("trigger", "moving_house", "--citizen", "c", "--data", "{", home=tmp_path)
    assert bad_json.returncode == 2
    assert bad_json.stderr.startswith("error: Invalid value for --data: not JSON")
    assert "Traceback" not in missing.stderr + bad_json.stderr


def test_catalog_validate_passes_on_shipped_catalog(tmp_path: Path) -> None:
    result = run("catalog", "validate", str(CATALOG), home=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok moving_house" in result.stdout


def test_catalog_diagram_prints_mermaid(tmp_path: Path) -> None:
    result = run("catalog", "diagram", "moving_house", home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("flowchart TD")
    assert "register_residence --> update_tax" in result.stdout


def test_catalog_validate_lists_every_problem_and_fails(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog"
    catalog.mkdir()
    (catalog / "agencies.yaml").write_text((CATALOG / "agencies.yaml").read_text())
    text = (CATALOG / "marriage.yaml").read_text()
    (catalog / "marriage.yaml").write_text(text.replace("agency: tax_office", "agency: taxes"))
    (catalog / "broken.yaml").write_text("type: broken\nversion: [\n")
    result = run("catalog", "validate", str(catalog), home=tmp_path)
    assert result.returncode == 1
    assert "unknown agency 'taxes'" in result.stdout
    assert "broken.yaml:" in result.stdout and "not valid YAML" in result.stdout


def test_bench_runs_and_prints_ratios(tmp_path: Path) -> None:
    """A small run of the benchmark command: every configuration completes its cases, and the
    run is kept in the results file with CPU per case per process, the machine and the commit."""
    out = tmp_path / "results.json"
    result = run(
        "bench",
        "--cases",
        "10",
        "--concurrency",
        "5",
        "--rounds",
        "1",
        "--settle",
        "0",
        "--out",
        str(out),
        home=tmp_path,
        timeout=240,  # fresh servers and three configurations: as the other bench commands
    )
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert [r["name"] for r in summary["results"]] == [
        "bare Temporal",
        "bare, local acts",
        "engine, in-process",
        "engine, HTTP sims",
    ]
    assert all(r["workflows_per_s"] > 0 and r["serial_ms"] > 0 for r in summary["results"])
    assert "x bare" in result.stdout and "CPU ms per case" in result.stdout
    kept = json.loads(out.read_text())["throughput"]
    assert kept == summary
    assert kept["machine"]["cores"] >= 1 and kept["machine"]["commit"]
    for r in kept["results"]:
        assert set(r["cpu_ms_per_case"]) == {"temporal", "mongodb", "worker", "all"}
        assert r["cpu_ms_per_case"]["worker"] > 0
        # A case is at least its start, a workflow task and its end (local calls cost no more).
        assert r["temporal_requests_per_case"] is not None and r["temporal_requests_per_case"] >= 3
    assert "Temporal persistence requests per case" in result.stdout
    assert (
        set(kept["throughput_ratio"])
        == set(kept["serial_ratio"])
        == {"bare, local acts", "engine, in-process", "engine, HTTP sims"}
    )
    assert kept["worker_rss_mb"] > 0


def test_bare_temporals_calls_time_out_as_the_engines_steps_and_the_bench_outwaits_both() -> None:
    """Like for like: the server keeps a timer per call until its timeout, and each run waits for
    its own timers before counting its CPU, so they never land in the next run."""
    assert StepDefinition.model_fields["timeout_seconds"].default == STEP_TIMEOUT_SECONDS
    assert DEFERRED_SECONDS > STEP_TIMEOUT_SECONDS


def test_bench_memory_reports_rss_as_cases_open_and_closes_them(tmp_path: Path) -> None:
    """A small memory run: cases wait for a review against a worker in its own process, RSS is
    sampled as they open, then every review is completed through the work list (shape only)."""
    out = tmp_path / "results.json"
    result = run(
        "bench", "--memory", "30", "--cache-size", "10", "--out", str(out), home=tmp_path, timeout=240
    )
    assert result.returncode == 0, result.stderr[-2000:]
    kept = json.loads(out.read_text())["memory"]
    assert kept == json.loads(result.stdout.strip().splitlines()[-1])
    assert (kept["cases"], kept["cache_size"], kept["completed"]) == (30, 10, 30)
    counts = [count for count, _ in kept["rss_mb"]]
    assert counts[0] == 0 and counts[-1] == 30 and counts == sorted(counts)
    assert all(mb > 0 for _, mb in kept["rss_mb"])
    # Two samples after the cache filled give a float; 30 cases may open between two polls.
    assert kept["mb_per_1000_after_cache_full"] is None or isinstance(
        kept["mb_per_1000_after_cache_full"], float
    )
    assert kept["opened_per_s"] > 0 and kept["completed_per_s"] > 0


def test_bench_api_load_answers_every_trigger_and_loses_none(tmp_path: Path) -> None:
    """A short paced load on an API process of its own (shape and bookkeeping, not speed)."""
    out = tmp_path / "results.json"
    result = run(
        "bench", "--api-load", "--rate", "10", "--seconds", "2", "--out", str(out), home=tmp_path, timeout=240
    )
    assert result.returncode == 0, result.stderr[-2000:]
    kept = json.loads(out.read_text())["api_load"]
    assert kept["offered"] == 20
    assert kept["accepted"] + kept["throttled"] == 20 and kept["other"] == {}
    assert kept["throttled_without_retry_after"] == 0 and kept["lost"] == 0
    assert 0 < kept["p50_ms"] <= kept["p95_ms"] <= kept["p99_ms"] <= kept["max_ms"]


def test_memory_growth_is_measured_after_the_cache_filled() -> None:
    samples = [(0, 100.0), (5, 150.0), (10, 200.0), (1_010, 204.0), (2_010, 210.0)]
    assert _growth(samples, cache_size=10) == 5.0  # (210 - 200) MB over 2,000 cases
    assert _growth(samples[:3], cache_size=10) is None  # one sample with the cache full
    assert _growth(samples, cache_size=5_000) is None  # never filled


def test_bench_runs_one_benchmark_at_a_time(tmp_path: Path) -> None:
    result = run("bench", "--memory", "10", "--api-load", home=tmp_path)
    assert result.returncode == 2
    assert "one benchmark at a time" in result.stderr


def test_temporal_setup_registers_once(tmp_path: Path, stack: Settings, fresh_namespace: str) -> None:
    where = {
        "ONESTOP_TEMPORAL_ADDRESS": stack.temporal_address,
        "ONESTOP_TEMPORAL_NAMESPACE": fresh_namespace,
    }
    first = run("temporal", "setup", home=tmp_path, extra=where)
    assert first.returncode == 0, first.stderr
    assert f"added OneStopStatus=Keyword in namespace {fresh_namespace}" in first.stdout
    assert "added OneStopAttentionSince=Datetime" in first.stdout
    second = run("temporal", "setup", home=tmp_path, extra=where)
    assert second.returncode == 0, second.stderr
    assert second.stdout.startswith("nothing to add")


def test_temporal_setup_reports_an_unknown_namespace(tmp_path: Path, stack: Settings) -> None:
    where = {"ONESTOP_TEMPORAL_ADDRESS": stack.temporal_address, "ONESTOP_TEMPORAL_NAMESPACE": "nowhere"}
    result = run("temporal", "setup", home=tmp_path, extra=where)
    assert result.returncode == 1
    assert result.stderr.startswith("error: Temporal at") and "NOT_FOUND" in result.stderr
    assert "Traceback" not in result.stderr


def test_temporal_setup_needs_an_address(tmp_path: Path) -> None:
    result = run("temporal", "setup", home=tmp_path)
    assert result.returncode == 2
    assert "ONESTOP_TEMPORAL_ADDRESS" in result.stderr


def _at(stack: Settings) -> dict[str, str]:
    """The environment that points the CLI at the session's API."""
    return {
        "ONESTOP_API_HOST": stack.api_host,
        "ONESTOP_API_PORT": str(stack.api_port),
        "ONESTOP_JWT_SECRET": stack.jwt_secret,
    }


async def test_catalog_status_shows_every_file_of_the_running_catalog(
    tmp_path: Path, stack: Settings
) -> None:
    """The API runs in this test's event loop: the CLI runs in a thread so the loop can answer it."""
    bad = stack.catalog_path / "probe_status.yaml"
    bad.write_text(
        (CATALOG / "marriage.yaml")
        .read_text()
        .replace("type: marriage", "type: probe_status")
        .replace("agency: tax_office", "agency: taxes")
    )
    try:
        result = await asyncio.to_thread(run, "catalog", "status", home=tmp_path, extra=_at(stack))
    finally:
        bad.unlink()
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("loaded   moving_house.yaml: moving_house v1 ") for line in lines), (
        result.stderr
    )
    assert any(line.startswith("loaded   agencies.yaml: agency directory ") for line in lines), lines
    rejected = next(i for i, line in enumerate(lines) if line.startswith("rejected probe_status.yaml since "))
    assert lines[rejected].endswith("(nothing live)")
    assert "unknown agency 'taxes'" in lines[rejected + 1]
    clean = await asyncio.to_thread(run, "catalog", "status", home=tmp_path, extra=_at(stack))
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "rejected" not in clean.stdout


def test_a_command_that_needs_the_api_says_how_to_reach_it(tmp_path: Path) -> None:
    result = run("catalog", "status", home=tmp_path, extra={"ONESTOP_API_PORT": str(free_port())})
    assert result.returncode == 1
    assert result.stderr.startswith("error: cannot reach the OneStop API at http://127.0.0.1:")
    assert "onestop dev" in result.stderr and len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "extra", "says"),
    [
        (
            ["trigger", "marriage", "--citizen", "c", "--data", "{"],
            {},
            "give the citizen's data as one JSON object",
        ),
        (["trigger", "marriage", "--citizen", "c", "--data", "[1]"], {}, "not a JSON object"),
        (
            ["token", "--role", "agency", "--sub", "tax-1"],
            {},
            "an agency token names its agency: add --agency NAME",
        ),
        (["token", "--sub", "c"], {}, "Choose from: citizen, agency, designer, support"),
        (
            ["token", "--role", "citizen", "--sub", "c"],
            {"ONESTOP_JWT_TTL_SECONDS": "soon"},
            "ONESTOP_JWT_TTL_SECONDS",
        ),
        (["catalog", "validate", "/nowhere/draft.yaml"], {}, "does not exist: name a definition file"),
        (["catalog", "diagram", "movng_house"], {}, "did you mean 'moving_house'?"),
        (
            ["catalog", "diagram", "marriage", "--path", "/"],
            {},
            "has no valid agencies.yaml: name a catalog folder",
        ),
        (["catalog", "frobnicate"], {}, "No such command 'frobnicate'"),
        (["catalog", "try", "moving_house", "--data", "{"], {}, "give the sample data as one JSON object"),
        (
            ["catalog", "try", "moving_house", "--data", "{}", "--step-outcome", "update_tax"],
            {},
            "write STEP=failed or STEP=skipped",
        ),
    ],
    ids=[
        "bad-json",
        "not-an-object",
        "agency-without-agency",
        "missing-role",
        "bad-setting",
        "missing-file",
        "unknown-type",
        "not-a-catalog",
        "unknown-command",
        "try-bad-json",
        "try-bad-outcome",
    ],
)
def test_every_user_error_is_one_line_naming_the_fix(
    tmp_path: Path, args: list[str], extra: dict[str, str], says: str
) -> None:
    result = run(*args, home=tmp_path, extra=extra)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    assert says in result.stderr
    assert "Traceback" not in result.stderr and "pydantic" not in result.stderr


async def test_an_api_refusal_is_one_line_and_exit_2(tmp_path: Path, stack: Settings) -> None:
    """The API runs in this test's event loop: the CLI runs in a thread so the loop can answer it."""
    trigger = await asyncio.to_thread(
        run, "trigger", "movng_house", "--citizen", "c-cli", home=tmp_path, extra=_at(stack)
    )
    assert trigger.returncode == 2
    assert trigger.stderr == (
        "error: the API answered 422: type: unknown life event type 'movng_house'; "
        "did you mean 'moving_house'?: correct TYPE or --data\n"
    )
    show = await asyncio.to_thread(run, "cases", "show", "no-such-case", home=tmp_path, extra=_at(stack))
    assert show.returncode == 2
    assert show.stderr.startswith("error: the API answered 404: ") and show.stderr.count("\n") == 1
    forged = await asyncio.to_thread(
        run, "cases", "show", "x", home=tmp_path, extra={**_at(stack), "ONESTOP_JWT_SECRET": "another-key"}
    )
    assert forged.returncode == 2 and "ONESTOP_JWT_SECRET" in forged.stderr
    unknown = await asyncio.to_thread(
        run, "catalog", "try", "movng_house", "--data", "{}", home=tmp_path, extra=_at(stack)
    )
    assert unknown.returncode == 2 and unknown.stderr.count("\n") == 1, unknown.stderr
    assert unknown.stderr.startswith("error: the API answered 404: unknown life event type 'movng_house'")
    assert "did you mean 'moving_house'?" in unknown.stderr
    bad_data = await asyncio.to_thread(
        run,
        "catalog",
        "try",
        "moving_house",
        "--data",
        '{"move_date": "soon"}',
        home=tmp_path,
        extra=_at(stack),
    )
    assert bad_data.returncode == 2 and bad_data.stderr.count("\n") == 1, bad_data.stderr
    assert "422: data.citizen_name: Field required; data.new_address: Field required; data.move_date: " in (
        bad_data.stderr
    )


async def test_catalog_try_prints_the_plan(tmp_path: Path, stack: Settings) -> None:
    """The README's sample move, dry-run through the running API (in a thread: the API answers
    from this test's event loop)."""
    data = json.dumps(
        {
            "citizen_name": "Ana Lima",
            "new_address": "12 Rua das Flores",
            "move_date": "2026-12-01",
            "owns_vehicle": True,
        }
    )
    result = await asyncio.to_thread(
        run, "catalog", "try", "moving_house", "--data", data, home=tmp_path, extra=_at(stack)
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("moving_house v1 (") and lines[1] == "outcome: completed"
    assert lines[2:4] == [
        "wave 1",
        "  register_residence: Municipal residence registry (residence_registry.register_address)",
    ]
    assert (
        '    sends citizen_name="Ana Lima", household_size=1, move_date="2026-12-01", new_address="12 Rua das Flores"'
        in lines
    )
    assert "  transfer_school: condition false: data.school_age_children > 0" in lines
    assert lines[-4:] == [
        "offers",
        "  parking_permit: Get a resident parking permit for your new street (resident_parking), "
        "pre-fills citizen_name, address",
        "not offered",
        "  school_registration: condition false: data.school_age_children > 0",
    ]
    failing = await asyncio.to_thread(
        run,
        "catalog",
        "try",
        "moving_house",
        "--data",
        data,
        "--step-outcome",
        "update_tax=failed",
        "--mermaid",
        home=tmp_path,
        extra=_at(stack),
    )
    assert failing.returncode == 0, failing.stderr
    assert failing.stdout.startswith("flowchart TD") and "class update_tax failed" in failing.stdout
    whole = await asyncio.to_thread(
        run,
        "catalog",
        "try",
        "marriage",
        "--data",
        '{"spouse_a_name": "A", "spouse_b_name": "B", "marriage_date": "2026-09-09", "household_address": "1 Rua"}',
        "--json",
        home=tmp_path,
        extra=_at(stack),
    )
    assert whole.returncode == 0 and json.loads(whole.stdout)["skipped"][0]["id"] == "change_name"


def test_every_command_helps_with_an_example(tmp_path: Path) -> None:
    def commands(command: Any, path: str) -> list[tuple[str, str]]:
        """(path, help) of every leaf command; typer vendors click, so groups are known by `commands`."""
        subs: dict[str, Any] = getattr(command, "commands", {})
        if subs:
            return [pair for name, sub in subs.items() for pair in commands(sub, f"{path} {name}")]
        return [(path, command.help or "")]

    found = commands(typer.main.get_command(cli.app), "onestop")
    assert len(found) >= 12
    assert [path for path, text in found if "Example: " not in text or "onestop " not in text] == []
    shown = run("catalog", "validate", "--help", home=tmp_path)
    assert shown.returncode == 0 and "Example: onestop catalog validate" in shown.stdout
