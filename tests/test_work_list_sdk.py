"""The agency SDK's work-list client against the real stack: an agency lists, reads and decides its
tasks with typed results and typed errors, and imports nothing of OneStop's server to do it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from onestop.sdk import work_list as sdk
from orchestrator import agency_tasks
from orchestrator.settings import Settings
from tests.support import CaseWatcher
from tests.test_life_events_e2e import BIRTH
from tests.test_work_list_api import REVIEW, open_review, task_in

SERVER_MODULES = ("api", "orchestrator", "workflows", "activities", "pymongo", "temporalio", "fastapi", "cel")


def test_the_sdk_imports_nothing_of_onestops_server() -> None:
    probe = (
        "import sys, onestop.sdk.work_list; "
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({SERVER_MODULES!r})))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]", result.stdout


def test_the_sdk_models_mirror_the_api() -> None:
    """The client's copy of the contract cannot drift from the server's without this failing."""
    assert set(sdk.AgencyTask.model_fields) == set(agency_tasks.AgencyTask.model_fields)
    assert set(sdk.AgencyTaskList.model_fields) == set(agency_tasks.AgencyTaskList.model_fields)
    assert [s.value for s in sdk.TaskStatus] == [s.value for s in agency_tasks.TaskStatus]


async def test_an_agency_works_its_tasks_with_the_sdk(
    stack: Settings, watcher: CaseWatcher, citizen: str
) -> None:
    data = {k: v for k, v in BIRTH.items() if k != "medical_certificate_number"}
    case_id = await open_review(watcher, citizen, data)
    base_url = f"http://{stack.api_host}:{stack.api_port}"
    token = watcher.auth("agency", "registrar-sdk", agency="civil_registry")["Authorization"].split()[1]
    stranger = watcher.auth("agency", "tax-sdk", agency="tax_office")["Authorization"].split()[1]
    async with sdk.WorkList(base_url, token) as work, sdk.WorkList(base_url, stranger) as other:
        listed = await work.tasks(type="birth_registration", status=sdk.TaskStatus.open, limit=500)
        [task] = [t for t in listed.data if t.case_id == case_id]
        assert isinstance(task, sdk.AgencyTask) and task.status is sdk.TaskStatus.open
        assert task.agency_title == "Civil status registry" and task.round == 1 and not task.overdue
        assert (await work.task(case_id, REVIEW)) == task
        assert all(t.case_id != case_id for t in (await other.tasks(limit=500)).data)
        with pytest.raises(sdk.TaskNotFound) as hidden:
            await other.task(case_id, REVIEW)
        assert hidden.value.status == 404 and "not found" in hidden.value.problem.detail
        with pytest.raises(sdk.TaskNotFound):
            await other.complete(case_id, REVIEW)

        with pytest.raises(sdk.TaskInputError) as bad:
            await work.request_input(case_id, REVIEW, ["bank_account", "parent_name"])
        assert [e.message.split(":")[0] for e in bad.value.problem.errors] == ["bank_account", "parent_name"]
        with pytest.raises(sdk.TaskInputError) as no_reason:
            await work.fail(case_id, REVIEW, "")
        assert no_reason.value.problem.errors[0].field == "body.reason"

        asked = await work.request_input(case_id, REVIEW, ["medical_certificate_number"], note="unreadable")
        assert asked.status is sdk.TaskStatus.decided and asked.decision == "asked for more"
        await watcher.wait_step(citizen, case_id, REVIEW, "citizen")
        answered = await watcher.http.post(
            f"/v1/cases/{case_id}/steps/{REVIEW}/input",
            json={"data": {"medical_certificate_number": "MC-2026-555"}},
            headers=watcher.auth("citizen", citizen),
        )
        assert answered.status_code == 200, answered.text
        assert (await task_in(watcher, case_id, "open"))["round"] == 2

        done = await work.complete(case_id, REVIEW, reason="documents_ok")
        assert done.status is sdk.TaskStatus.decided and done.round == 2
        with pytest.raises(sdk.TaskConflict) as twice:
            await work.complete(case_id, REVIEW)
        assert twice.value.status == 409 and "already decided" in twice.value.problem.detail
    assert (await watcher.wait(citizen, case_id))["status"] == "completed"


async def test_an_unusable_token_is_a_typed_error(stack: Settings) -> None:
    async with sdk.WorkList(f"http://{stack.api_host}:{stack.api_port}", "not-a-token") as work:
        with pytest.raises(sdk.WorkListError) as refused:
            await work.tasks()
    assert refused.value.status == 401 and not isinstance(refused.value, sdk.TaskNotFound)
