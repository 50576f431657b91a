"""A dry run's plan as `onestop catalog try` prints it: the lines a designer reads top to bottom
(waves, what each agency receives, skips, questions, undo), the same facts as the JSON plan."""

from __future__ import annotations

import json

from orchestrator.dry_run_plan import Plan, PlannedStep, StepOutcome


def plan_lines(plan: Plan) -> list[str]:
    lines = [
        f"{plan.type} v{plan.version} ({plan.digest[:12]}): dry run, no agency called; values are the sample's",
        f"outcome: {plan.outcome}",
    ]
    for wave in plan.waves:
        lines.append(f"wave {wave.number}")
        for step in wave.steps:
            lines += _step_lines(step)
    if plan.skipped:
        lines.append("skipped")
        lines += [f"  {s.id}: {s.reason}" for s in plan.skipped]
    if plan.questions:
        lines.append("questions for the citizen")
        lines += [f"  {q.step}: {q.field} ({q.type.value}) {q.title}".rstrip() for q in plan.questions]
    if plan.compensations:
        lines.append("undone, newest first")
        lines += [f"  {u.step}: {u.agency}.{u.action}" for u in plan.compensations]
    if plan.offers:
        lines.append("offers")
        lines += [
            f"  {o.id}: {o.title} ({o.service})"
            + (f", pre-fills {', '.join(o.prefilled)}" if o.prefilled else "")
            for o in plan.offers
        ]
    else:
        lines.append("offers: none")
    if plan.offers_not_made:
        lines.append("not offered")
        lines += [f"  {o.id}: {o.reason}" for o in plan.offers_not_made]
    if plan.follow_ups:
        lines.append("follow-ups after completion")
        lines += [f"  {f.id}: {f.title}, after {f.after_days:g} days" for f in plan.follow_ups]
    return lines


def _step_lines(step: PlannedStep) -> list[str]:
    optional = "" if step.required else ", optional"
    head = f"  {step.id}: {step.agency_title} ({step.agency}.{step.action}{optional})"
    if step.outcome is not StepOutcome.succeeded:
        head += f" {step.outcome.value}: {step.reason}"
    lines = [head]
    if step.wait is not None:
        asked = f": {', '.join(step.wait.fields)}" if step.wait.fields else ""
        verb = "asks" if step.wait.waits_for == "citizen" else "may ask the citizen"
        lines.append(f"    waits for {step.wait.whom}, up to {step.wait.days:g} days")
        if asked:
            lines.append(f"    {verb}{asked}")
    sent = [f for f in step.fields if f.sent]
    if sent:
        values = ", ".join(
            f"{f.name}={json.dumps(f.value)}" if f.source == "sample" else f"{f.name}=(the citizen's answer)"
            for f in sent
        )
        lines.append(f"    sends {values}")
    unsent = [f.name for f in step.fields if not f.sent]
    if unsent:
        lines.append(f"    not sent: {', '.join(unsent)}")
    return lines
