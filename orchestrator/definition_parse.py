"""Designers' files as typed models, or every problem in them at once.

One parser for every way a file reaches OneStop (the live catalog's hot reload, a draft checked
with `onestop catalog validate`, a body sent to `POST /v1/catalog:validate`), so a definition is
judged the same everywhere. Each problem names its file, line and JSON path, and the models are
validated strictly here only: they tolerate unknown keys elsewhere for the sake of replay.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from orchestrator.agencies import AgencyDirectory
from orchestrator.definition import LifeEventDefinition
from orchestrator.definition_rules import check
from orchestrator.errors import DefinitionError
from orchestrator.yaml_lines import LineIndex

AGENCIES_FILE = "agencies.yaml"
_Model = TypeVar("_Model", bound=BaseModel)


def parse_definition(
    text: str,
    source: str,
    directory: AgencyDirectory,
    services: Mapping[str, LifeEventDefinition] | None = None,
) -> LifeEventDefinition:
    """The definition in `text`, checked against the agency `directory` and, for its offers, the
    other life events (`services`; none: the offers' services are not checked)."""
    raw, lines = _load(text, source)
    definition = _strict(LifeEventDefinition, raw, source, lines)
    found = check(definition, directory, services)
    problems = [lines.where(source, path, msg) for path, msg in found]
    if problems:
        raise DefinitionError(source, problems)
    return definition


def parse_directory(text: str, source: str) -> AgencyDirectory:
    """The agency directory in `text`; a misspelt key is an error, not a silently dropped one."""
    raw, lines = _load(text, source)
    return _strict(AgencyDirectory, raw, source, lines)


def _load(text: str, source: str) -> tuple[Any, LineIndex]:
    try:
        node = yaml.compose(text)
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        raise DefinitionError(source, [f"{where}: not valid YAML: {exc}"]) from None
    return raw, LineIndex(node)


def _strict(model: type[_Model], raw: Any, source: str, lines: LineIndex) -> _Model:
    try:
        return model.model_validate(raw, extra="forbid")
    except ValidationError as exc:
        problems = [lines.where(source, tuple(err["loc"]), err["msg"]) for err in exc.errors()]
        raise DefinitionError(source, problems) from None
