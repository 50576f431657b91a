"""`onestop worker --agency X --task-queue Q --onestop-url URL`: an agency outside OneStop runs its
own worker without a copy of agencies.yaml; where the file is at hand, an option that disagrees
with it stops the command with one line and exit 2, before it connects to anything."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from orchestrator.settings import Settings
from tests.support import CaseWatcher, step
from tests.test_agency_sdk import DATA, ONESTOP, PERMIT_OFFICE, ROOT, agency_process, permit_office

__all__ = ["permit_office"]  # the fixture, used by name below

QUEUE = str(PERMIT_OFFICE["task_queue"])


async def test_an_agency_without_agencies_yaml_serves_the_queue_it_names(
    stack: Settings, permit_office: None, watcher: CaseWatcher, citizen: str, tmp_path: Path
) -> None:
    nowhere = tmp_path / "no-catalog"
    nowhere.mkdir()
    case_id = await watcher.start(citizen, "parking_permit", DATA)
    env = {
        "ONESTOP_CATALOG_PATH": str(nowhere),  # no agencies.yaml here
        "ONESTOP_API_URL": "http://127.0.0.1:9",  # --onestop-url wins over it
    }
    api = f"http://{stack.api_host}:{stack.api_port}"
    options = ("--task-queue", QUEUE, "--onestop-url", api)
    async with agency_process(stack, tmp_path / "permits.jsonl", *options, env=env):
        case = await watcher.wait(citizen, case_id)
    assert case["status"] == "completed", case
    assert step(case, "permit")["reference"].startswith("PRM-")


def _worker(catalog: Path, *options: str) -> subprocess.CompletedProcess[str]:
    env = {
        "ONESTOP_HOME": str(catalog.parent),
        "ONESTOP_ENVIRONMENT": "test",
        "ONESTOP_CATALOG_PATH": str(catalog),
        "ONESTOP_TEMPORAL_ADDRESS": "127.0.0.1:9",  # never reached: the options are refused first
        "PATH": str(Path(ONESTOP).parent),
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.run(
        [ONESTOP, "worker", *options], capture_output=True, text=True, env=env, timeout=60, check=False
    )


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (
            ("--agency", "permit_office", "--app", "tests.sdk_agency:permits", "--task-queue", "elsewhere"),
            f"gives permit_office the task queue {QUEUE}, not elsewhere",
        ),
        (("--agency", "permit_office", "--task-queue", QUEUE), "--app: permit_office runs its own worker"),
        (
            ("--agency", "tax_office", "--app", "tests.sdk_agency:permits"),
            "--agency: tax_office has no task_queue of its own",
        ),
        (("--agency", "permit_offce", "--task-queue", QUEUE), "no agency 'permit_offce' in agencies.yaml"),
        (("--task-queue", QUEUE), "--task-queue is for one agency's worker: add --agency NAME"),
    ],
)
def test_an_option_that_disagrees_with_agencies_yaml_stops_the_worker(
    stack: Settings, permit_office: None, options: tuple[str, ...], says: str
) -> None:
    done = _worker(stack.catalog_path, *options)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1, done.stderr
    assert says in done.stderr


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (("--agency", "permit_office", "--app", "tests.sdk_agency:permits"), "give --task-queue"),
        (("--agency", "permit_office", "--task-queue", QUEUE), "give --app module:attribute"),
        (
            ("--agency", "permit_office", "--task-queue", QUEUE, "--app", "tests.sdk_agency:nothing"),
            "tests.sdk_agency:nothing is not an onestop.sdk.Agency",
        ),
        (
            ("--agency", "tax_office", "--task-queue", QUEUE, "--app", "tests.sdk_agency:permits"),
            "implements permit_office, not tax_office",
        ),
    ],
)
def test_without_agencies_yaml_the_worker_needs_its_queue_and_its_code(
    tmp_path: Path, options: tuple[str, ...], says: str
) -> None:
    done = _worker(tmp_path / "empty", *options)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1, done.stderr
    assert says in done.stderr
