"""The actions support staff may take on a case, as the console offers them: what each does,
in words staff read before pressing it. The workflow decides whether the case's state allows
it; the console only says what it asked for and what came back."""

from __future__ import annotations

from dataclasses import dataclass

from orchestrator.support_models import STEP_VERBS, SupportVerb


@dataclass(frozen=True)
class Action:
    verb: SupportVerb
    title: str
    button: str
    hint: str

    @property
    def on_step(self) -> bool:
        return self.verb in STEP_VERBS


ACTIONS: tuple[Action, ...] = (
    Action(
        "retry",
        "Retry a step",
        "Retry step",
        "Call the agency again now with the same idempotency key, or end a retrying step's wait.",
    ),
    Action(
        "skip",
        "Skip a step",
        "Skip step",
        "Only where the definition allows it: the case goes on as if the step succeeded, with no output.",
    ),
    Action(
        "resolve",
        "Resolve a step by hand",
        "Resolve step",
        "The agency acted outside OneStop: the held step counts as done.",
    ),
    Action(
        "pause",
        "Pause a step",
        "Pause step",
        "Stop calling the agency during a known outage; nothing is lost, resume it later.",
    ),
    Action("resume", "Resume a step", "Resume step", "Call the paused step's agency again at once."),
    Action(
        "reset",
        "Reset the case to before a step",
        "Reset case",
        "After a code fix: the case runs again from before this step (a Temporal reset).",
    ),
    Action(
        "compensate",
        "Compensate the case",
        "Compensate case",
        "Roll the whole case back: steps in flight finish, then everything done is undone.",
    ),
)
BY_VERB = {action.verb: action for action in ACTIONS}

PAST = {
    "retry": "Retry sent",
    "skip": "Step skipped",
    "resolve": "Step resolved",
    "pause": "Step paused",
    "resume": "Step resumed",
    "reset": "Case reset",
    "compensate": "Compensation started",
}
