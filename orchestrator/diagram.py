"""Mermaid flowcharts of life-event definitions, for designers and the catalog API."""

from __future__ import annotations

from orchestrator.definition import LifeEventDefinition, StepKind

_SHAPES = {
    StepKind.automatic: ('["', '"]'),
    StepKind.citizen_input: ('[/"', '"/]'),
    StepKind.agency_review: ('{{"', '"}}'),
}


def mermaid(definition: LifeEventDefinition) -> str:
    lines = ["flowchart TD", f'    start(["{_escape(definition.title)} v{definition.version}"])']
    for step in definition.steps:
        left, right = _SHAPES[step.kind]
        label = f"{step.title or step.id}<br/><small>{step.agency}.{step.action}</small>"
        if step.compensation:
            label += f"<br/><small>undo: {step.compensation}</small>"
        if not step.required:
            label += "<br/><i>optional</i>"
        lines.append(f"    {step.id}{left}{_escape(label)}{right}")
    for step in definition.steps:
        sources = step.depends_on or ["start"]
        arrow = f'-- "{_escape(step.when)}" -->' if step.when else "-->"
        lines.extend(f"    {source} {arrow} {step.id}" for source in sources)
    return "\n".join(lines) + "\n"


def _escape(text: str) -> str:
    return text.replace('"', "#quot;")
