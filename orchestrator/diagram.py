"""Mermaid flowcharts of life-event definitions, for designers and the catalog API.

A dry run's plan is drawn on the same chart: each step that runs carries its wave, and skipped
and failed steps are styled as such (a legend-free convention: grey and dashed for skipped, red
for failed), so the chart a designer reads is the definition's own, not a second drawing.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from orchestrator.definition import LifeEventDefinition, StepKind

_SHAPES = {
    StepKind.automatic: ('["', '"]'),
    StepKind.citizen_input: ('[/"', '"/]'),
    StepKind.agency_review: ('{{"', '"}}'),
}
_STYLES = {
    "skipped": "fill:#f3f2f1,stroke:#b1b4b6,stroke-dasharray:5 5,color:#505a5f",
    "failed": "fill:#f6d7d2,stroke:#d4351c,color:#0b0c0c",
}


def mermaid(
    definition: LifeEventDefinition,
    *,
    skipped: Collection[str] = (),
    failed: Collection[str] = (),
    waves: Mapping[str, int] | None = None,
) -> str:
    """The definition as a flowchart; with `waves` (step -> wave number), `skipped` and `failed`
    from a dry run, that plan drawn on it."""
    lines = ["flowchart TD", f'    start(["{_escape(definition.title)} v{definition.version}"])']
    for step in definition.steps:
        left, right = _SHAPES[step.kind]
        label = f"{step.title or step.id}<br/><small>{step.agency}.{step.action}</small>"
        if step.compensation:
            label += f"<br/><small>undo: {step.compensation}</small>"
        if not step.required:
            label += "<br/><i>optional</i>"
        if waves is not None and step.id in waves:
            label += f"<br/><b>wave {waves[step.id]}</b>"
        elif step.id in skipped:
            label += "<br/><b>skipped</b>"
        lines.append(f"    {step.id}{left}{_escape(label)}{right}")
    for step in definition.steps:
        sources = step.depends_on or ["start"]
        arrow = f'-- "{_escape(step.when)}" -->' if step.when else "-->"
        lines.extend(f"    {source} {arrow} {step.id}" for source in sources)
    for name, steps in (("skipped", skipped), ("failed", failed)):
        marked = [s.id for s in definition.steps if s.id in steps]
        if marked:
            lines.append(f"    classDef {name} {_STYLES[name]}")
            lines.append(f"    class {','.join(marked)} {name}")
    return "\n".join(lines) + "\n"


def _escape(text: str) -> str:
    return text.replace('"', "#quot;")
