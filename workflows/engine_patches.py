"""Which of the engine's recorded changes a run has, at the cost of one patch marker per case.

Each `workflow.patched` id records a marker, and the SDK upserts `TemporalChangeVersion` with it:
three ids cost a new case three markers and three visibility writes in Temporal. A new run now
records `engine-3` alone, which stands for every change before it (`engine-2` and the ids it
stood for) and adds quiet waves; a run started before it replays the ids it recorded, one by one,
where it recorded them.

Workflow code: deterministic, memoised by the SDK per run.
"""

from __future__ import annotations

from temporalio import workflow

ENGINE_3 = "engine-3"
"""Patch: everything `engine-2` stands for, plus quiet waves: a step's success is routine whenever
the next wave's steps are at their agencies as it is written, not only while its own wave runs.
The read model learns it with that wave's next change (an answer, a wait, a hold, the outcome), so
a 1 + 7 fan-out projects once, its outcome, not twice (a local activity, a marker and a database
write fewer per case; `onestop bench`). Only calls on the case's own queue hold a write back, so
the lag is bounded by their timeouts (a call that fails is a wait, written at once); a call on an
agency's own queue, which may wait for its worker, holds back nothing."""
ENGINE_2 = "engine-2"
"""Patch: every change below at once, plus quiet successes: an agency's answer is routine while
the step's wave still runs (the step's success follows in the same wake-up), so a 1 + 7 fan-out
projects twice (after the first step, and the outcome), not four times (`onestop bench`)."""
QUIET_STEP_STARTS = "quiet-step-starts"
"""Patch: the case's and a step's start are written with the next change of their wave, not on
their own (a local activity and a database write fewer per case; measured in `onestop bench`)."""
STEP_ACTIVITY_IDS = "step-activity-ids"
"""Patch: each attempt gets an activity id of its own, kept with its step while it runs, so the data
exchange can check that an agency asks for a step's fields while that step's call is running. The
id is random (no step name in it: activity ids are not encrypted, and a step's name tells facts)."""
OFFERS = "offers"
"""Patch: offers and follow-ups decided by the `make_offers` local activity."""


class EnginePatches:
    def __init__(self) -> None:
        self._engine_3 = False
        self._engine_2 = False

    def begin(self) -> None:
        """First thing in `run`, before any command: where a new run records its one marker (an
        older run replays `engine-2` here, or neither)."""
        self._engine_3 = workflow.patched(ENGINE_3)
        self._engine_2 = self._engine_3 or workflow.patched(ENGINE_2)

    def has(self, patch_id: str) -> bool:
        """An older change: implied by `engine-2`, else as the run recorded it (at this point)."""
        return self._engine_2 or workflow.patched(patch_id)

    @property
    def quiet_successes(self) -> bool:
        return self._engine_2

    @property
    def quiet_waves(self) -> bool:
        return self._engine_3
