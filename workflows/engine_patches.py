"""Which of the engine's recorded changes a run has: from its input, or from its patch markers.

Each `workflow.patched` id records a marker, and the SDK upserts `TemporalChangeVersion` with it:
a marker and a visibility write in Temporal for every case. Since engine 4 a new case carries its
engine revision in its input (`LifeEventInput.engine`, set by intake), recorded in its first
event like the definition it is pinned to, so it needs no marker: engine 4 is every change below
but the first, `engine-3` included, and records none of them. The first, `local-calls`, came
after and is a marker again (its docstring says why). A marker cost a 1 + 7 fan-out case 8.5 ms
of its serial latency, 8% of bare Temporal's (the median of ten paired measurements of 40 turns
each, in which engine 4 was faster nine times; 2026-12-03, README "Measured").

A run started before (engine 0 in its input) decides as it always did: `engine-3` alone stands
for every change before it (`engine-2` and the ids it stood for) and adds quiet waves; a run
started before that replays the ids it recorded, one by one, where it recorded them.

Workflow code: deterministic, memoised by the SDK per run.
"""

from __future__ import annotations

from temporalio import workflow

LOCAL_CALLS = "local-calls"
"""Patch: a call on the case's own queue starts as a local activity (`agency_calls.attempt`). A
marker, not the input's revision: a worker of the release before, which would run the same input
with server activities, records none, so a run it started keeps them wherever it goes next."""
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


ENGINE_4 = 4
"""Input revision: every change below, decided by the input alone (no marker)."""


class EnginePatches:
    def __init__(self) -> None:
        self._engine_3 = False
        self._engine_2 = False
        self._local_calls = False

    def begin(self, engine: int) -> None:
        """First thing in `run`, before any command, with the input's engine revision: where a
        run of engine 0 records its one marker (an older run replays `engine-2` here, or neither).

        A run of engine 4 records `local-calls` alone (every run consults it: one started before
        has none, and keeps its server activities). Replaying, it consults `engine-3` all the same: a
        worker of the release before, which ignores the input's revision, may have run its first
        task and recorded that marker, and a marker the code does not consult fails the replay
        (the SDK's nondeterminism check). Replaying a run without it, the call finds nothing and
        records nothing."""
        if engine >= ENGINE_4:
            if workflow.unsafe.is_replaying():
                workflow.patched(ENGINE_3)
            self._engine_3 = True
        else:
            self._engine_3 = workflow.patched(ENGINE_3)
        self._engine_2 = self._engine_3 or workflow.patched(ENGINE_2)
        self._local_calls = workflow.patched(LOCAL_CALLS)

    def has(self, patch_id: str) -> bool:
        """An older change: implied by `engine-2`, else as the run recorded it (at this point)."""
        return self._engine_2 or workflow.patched(patch_id)

    @property
    def quiet_successes(self) -> bool:
        return self._engine_2

    @property
    def quiet_waves(self) -> bool:
        return self._engine_3

    @property
    def local_calls(self) -> bool:
        return self._local_calls
