"""Loads and validates the life-event catalog: one YAML file per life event.

Every problem is reported with its file, line and JSON path, all at once, so a designer fixes a
definition in one pass. The catalog keeps every version it has seen, so a running case can be
explained by the version it was pinned to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog
import yaml
from pydantic import ValidationError

from orchestrator import conditions
from orchestrator.agencies import AgencyDirectory, load_directory
from orchestrator.definition import FieldType, LifeEventDefinition, StepKind
from orchestrator.errors import DefinitionError, UnknownLifeEvent

log = structlog.get_logger(__name__)

AGENCIES_FILE = "agencies.yaml"
_ZERO: dict[FieldType, object] = {
    FieldType.string: "",
    FieldType.integer: 0,
    FieldType.number: 0.0,
    FieldType.boolean: False,
    FieldType.date: "2000-01-01",
}


@dataclass
class Catalog:
    directory: AgencyDirectory
    definitions: dict[str, LifeEventDefinition] = field(default_factory=dict)

    def get(self, type_: str) -> LifeEventDefinition:
        try:
            return self.definitions[type_]
        except KeyError:
            raise UnknownLifeEvent(type_) from None


def load_catalog(path: Path) -> Catalog:
    """Every definition under `path`, or a DefinitionError listing every problem found."""
    directory = load_directory(path / AGENCIES_FILE)
    catalog = Catalog(directory=directory)
    problems: list[str] = []
    for file in sorted(path.glob("*.yaml")):
        if file.name == AGENCIES_FILE:
            continue
        try:
            definition = parse_definition(file.read_text(), str(file), directory)
        except DefinitionError as exc:
            problems += exc.problems
            continue
        if definition.type in catalog.definitions:
            problems.append(f"{file}: type {definition.type!r} is defined twice")
        catalog.definitions[definition.type] = definition
    if problems:
        raise DefinitionError(str(path), problems)
    return catalog


def parse_definition(text: str, source: str, directory: AgencyDirectory) -> LifeEventDefinition:
    try:
        node = yaml.compose(text)
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        raise DefinitionError(source, [f"{where}: not valid YAML: {exc}"]) from None
    lines = _LineIndex(node)
    try:
        # Strict here only: the models themselves tolerate unknown keys for the sake of replay.
        definition = LifeEventDefinition.model_validate(raw, extra="forbid")
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            path = tuple(err["loc"])
            problems.append(f"{source}:{lines.line(path)}: {_json_path(path)}: {err['msg']}")
        raise DefinitionError(source, problems) from None
    problems = [
        f"{source}:{lines.line(path)}: {_json_path(path)}: {msg}"
        for path, msg in check(definition, directory)
    ]
    if problems:
        raise DefinitionError(source, problems)
    return definition


def check(definition: LifeEventDefinition, directory: AgencyDirectory) -> list[tuple[tuple[Any, ...], str]]:
    """The rules a schema cannot express; each problem with the path it is about."""
    problems: list[tuple[tuple[Any, ...], str]] = []
    field_names = [f.name for f in definition.inputs]
    for i, name in enumerate(field_names):
        if name in field_names[:i]:
            problems.append((("inputs", i, "name"), f"duplicate input {name!r}"))
    # Conditions are tried on the values a case may really carry: the default, a typed value
    # for a required field, and null for an optional field without a default.
    facts = {
        f.name: f.default if f.default is not None else (_ZERO[f.type] if f.required else None)
        for f in definition.inputs
        if not f.personal
    }
    ids = [s.id for s in definition.steps]
    for i, step in enumerate(definition.steps):
        at = ("steps", i)
        if step.id in ids[:i]:
            problems.append(((*at, "id"), f"duplicate step id {step.id!r}"))
        agency = directory.agencies.get(step.agency)
        if agency is None:
            problems.append(((*at, "agency"), f"unknown agency {step.agency!r}"))
        else:
            for key in ("action", "compensation"):
                name = getattr(step, key)
                if name is not None and name not in agency.actions:
                    problems.append(((*at, key), f"agency {step.agency!r} has no action {name!r}"))
        accepts = directory.action(step.agency, step.action)
        for j, name in enumerate(step.inputs):
            if name not in field_names:
                problems.append(((*at, "inputs", j), f"{name!r} is not an input of {definition.type!r}"))
            elif accepts is not None and name not in accepts.accepts:
                problems.append(((*at, "inputs", j), f"{step.agency}.{step.action} does not accept {name!r}"))
        for j, name in enumerate(step.asks):
            asked = definition.field(name)
            if asked is None:
                problems.append(((*at, "asks", j), f"{name!r} is not an input of {definition.type!r}"))
            elif asked.required:
                problems.append(
                    ((*at, "asks", j), f"{name!r} is asked during the case: make it required: false")
                )
        if step.asks and step.kind is StepKind.automatic:
            problems.append(
                ((*at, "asks"), "only citizen_input and agency_review steps ask the citizen for fields")
            )
        returns = accepts.returns if accepts is not None else []
        for j, key in enumerate(step.outputs):
            if accepts is not None and key not in returns:
                problems.append(((*at, "outputs", j), f"{step.agency}.{step.action} returns no {key!r}"))
        if step.kind is StepKind.citizen_input and not step.asks:
            problems.append(((*at, "asks"), "a citizen_input step must list the fields it asks for"))
        for j, dep in enumerate(step.depends_on):
            if dep not in ids:
                problems.append(((*at, "depends_on", j), f"unknown step {dep!r}"))
        if step.when is not None:
            earlier = {s: definition.step(s).outputs for s in _ancestors(definition, step.id) if s in ids}
            problems += [((*at, "when"), p) for p in conditions.check(step.when, facts, earlier)]
    cycle = _find_cycle(definition)
    if cycle:
        problems.append((("steps",), "dependency cycle: " + " -> ".join(cycle)))
    return problems


def _ancestors(definition: LifeEventDefinition, step_id: str) -> list[str]:
    """Steps guaranteed to have finished before `step_id` starts: the only ones it may refer to."""
    deps = {s.id: s.depends_on for s in definition.steps}
    seen: list[str] = []
    stack = list(deps.get(step_id, []))
    while stack:
        current = stack.pop()
        if current in seen or current not in deps:
            continue
        seen.append(current)
        stack.extend(deps[current])
    return seen


def _find_cycle(definition: LifeEventDefinition) -> list[str]:
    deps = {s.id: list(s.depends_on) for s in definition.steps}
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for dep in deps.get(node, []):
            if state.get(dep) == 1:
                return [*path[path.index(dep) :], dep]
            if dep in deps and dep not in state:
                found = visit(dep)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return []

    for step in definition.steps:
        if step.id not in state:
            found = visit(step.id)
            if found:
                return found
    return []


def _json_path(path: tuple[Any, ...]) -> str:
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


class _LineIndex:
    """Maps a JSON path to the 1-based line of the YAML node it names (nearest existing parent)."""

    def __init__(self, root: yaml.Node | None) -> None:
        self.root = root

    def line(self, path: tuple[Any, ...]) -> int:
        node = self.root
        if node is None:
            return 1
        for part in path:
            child = _child(node, part)
            if child is None:
                break
            node = child
        return int(node.start_mark.line) + 1


def _child(node: yaml.Node, part: Any) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == part:
                return value  # type: ignore[no-any-return]
    elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        return node.value[part]  # type: ignore[no-any-return]
    return None


class CatalogSource:
    """The catalog as it is on disk now: reloaded when a file changes, so a designer's new or
    edited definition applies to the next case without a restart. A folder that stops
    validating keeps the last good catalog in service (and says why in the log)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._signature = self._stat()
        self._catalog = load_catalog(path)

    def current(self) -> Catalog:
        signature = self._stat()
        if signature != self._signature:
            self._signature = signature
            try:
                self._catalog = load_catalog(self.path)
            except DefinitionError as exc:
                log.warning("catalog_reload_rejected", problems=exc.problems)
        return self._catalog

    def _stat(self) -> list[tuple[str, int, int]]:
        return [(f.name, f.stat().st_mtime_ns, f.stat().st_size) for f in sorted(self.path.glob("*.yaml"))]
