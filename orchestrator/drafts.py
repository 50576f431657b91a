"""Drafts: definitions checked before they go live, from anywhere on disk or over HTTP.

`onestop catalog validate PATH...` and `POST /v1/catalog:validate` both judge a definition with
`check_draft`, against the live agency directory (a catalog folder's own `agencies.yaml`
instead, when a folder being checked has one), so a draft that passes here loads the same way
when it is copied into the catalog.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from pydantic import BaseModel, Field

from orchestrator.agencies import AgencyDirectory
from orchestrator.catalog import known_services
from orchestrator.definition import LifeEventDefinition
from orchestrator.definition_parse import AGENCIES_FILE, parse_definition, parse_directory
from orchestrator.diagram import mermaid
from orchestrator.errors import DefinitionError

DirectorySource = Callable[[], AgencyDirectory]  # raises DefinitionError when there is none


class DraftReport(BaseModel):
    """One file checked: its life event and diagram if it is valid, every problem if not."""

    source: str
    valid: bool
    problems: list[str] = Field(default_factory=list)
    type: str | None = None
    version: int | None = None
    steps: int | None = None
    mermaid: str | None = None

    def summary(self) -> str:
        if not self.valid:
            return f"invalid {self.source}: {len(self.problems)} problem(s)"
        if self.type is None:
            return f"ok agency directory ({self.source})"
        return f"ok {self.type} v{self.version}: {self.steps} steps ({self.source})"


def check_draft(
    text: str,
    source: str,
    directory: AgencyDirectory,
    services: Mapping[str, LifeEventDefinition] | None = None,
) -> DraftReport:
    """A definition's text judged as the catalog would judge it; `services`: the life events its
    offers may name (a folder's own, or the live catalog's), unchecked when not given."""
    try:
        definition = parse_definition(text, source, directory, services)
    except DefinitionError as exc:
        return DraftReport(source=source, valid=False, problems=exc.problems)
    return DraftReport(
        source=source,
        valid=True,
        type=definition.type,
        version=definition.version,
        steps=len(definition.steps),
        mermaid=mermaid(definition),
    )


def live_directory(catalog: Path) -> DirectorySource:
    """The configured catalog's agency directory, as the drafts' reference. When it is broken a
    draft is reported as not checked, once, instead of with every problem of the directory."""
    file = catalog / AGENCIES_FILE

    def load() -> AgencyDirectory:
        try:
            text = file.read_text()
        except OSError as exc:
            reason = "missing" if isinstance(exc, FileNotFoundError) else exc.strerror
            problem = f"not checked: the live agency directory {file} is {reason}: set ONESTOP_CATALOG_PATH"
            raise DefinitionError(str(file), [problem]) from None
        try:
            return parse_directory(text, str(file))
        except DefinitionError as exc:
            problem = (
                f"not checked: the live agency directory {file} is invalid ({len(exc.problems)} problem(s)): "
                f"run `onestop catalog validate {file}`, or check the draft in a folder with its own {AGENCIES_FILE}"
            )
            raise DefinitionError(str(file), [problem]) from None

    return load


def check_paths(paths: list[Path], live: DirectorySource) -> list[DraftReport]:
    """Every definition in `paths` (files, or folders of `*.yaml`), each file reported once.

    `live` is asked only when a draft needs it, so a folder with its own directory is checked
    even where the configured catalog is broken."""
    reports: list[DraftReport] = []
    for path in paths:
        if path.is_dir():
            reports += _check_folder(path, live)
        elif path.name == AGENCIES_FILE:
            reports.append(_check_directory(path)[0])
        else:
            reports.append(_check_file(path, _Lazy(live)))
    return reports


def _check_folder(folder: Path, live: DirectorySource) -> list[DraftReport]:
    files = sorted(f for f in folder.glob("*.yaml") if f.name != AGENCIES_FILE)
    reports: list[DraftReport] = []
    directory: _Lazy
    if (folder / AGENCIES_FILE).exists():
        report, own = _check_directory(folder / AGENCIES_FILE)
        reports.append(report)
        directory = _Lazy(lambda: _own(own, folder))
    else:
        directory = _Lazy(live)
    if not files:
        reports.append(
            DraftReport(
                source=str(folder),
                valid=False,
                problems=[
                    f"{folder}: no definitions (*.yaml) in this folder: name a file or a catalog folder"
                ],
            )
        )
    seen: dict[str, str] = {}
    try:  # the folder's life events are what its offers may name
        services: dict[str, LifeEventDefinition] | None = known_services(files, directory())
    except DefinitionError:
        services = None
    for file in files:
        report = _check_file(file, directory, services)
        if report.type is not None and report.type in seen:
            problem = f"{file}: type {report.type!r} is defined in {seen[report.type]} too: give each file its own type"
            report = DraftReport(source=str(file), valid=False, problems=[problem])
        elif report.type is not None:
            seen[report.type] = file.name
        reports.append(report)
    return reports


def _own(directory: AgencyDirectory | None, folder: Path) -> AgencyDirectory:
    if directory is None:
        problem = f"not checked: {folder / AGENCIES_FILE} is invalid (its problems are listed): fix it first"
        raise DefinitionError(str(folder / AGENCIES_FILE), [problem])
    return directory


def _check_directory(file: Path) -> tuple[DraftReport, AgencyDirectory | None]:
    try:
        directory = parse_directory(file.read_text(), str(file))
    except DefinitionError as exc:
        return DraftReport(source=str(file), valid=False, problems=exc.problems), None
    return DraftReport(source=str(file), valid=True), directory


def _check_file(
    file: Path, directory: _Lazy, services: Mapping[str, LifeEventDefinition] | None = None
) -> DraftReport:
    try:
        text = file.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        return DraftReport(source=str(file), valid=False, problems=[f"{file}: cannot be read: {reason}"])
    try:
        against = directory()
    except DefinitionError as exc:
        return DraftReport(source=str(file), valid=False, problems=[f"{file}: {p}" for p in exc.problems])
    return check_draft(text, str(file), against, services)


class _Lazy:
    """A directory read once, when first needed (a folder of drafts reads it for every file)."""

    def __init__(self, load: DirectorySource) -> None:
        self._load = load
        self._value: AgencyDirectory | DefinitionError | None = None

    def __call__(self) -> AgencyDirectory:
        if self._value is None:
            try:
                self._value = self._load()
            except DefinitionError as exc:
                self._value = exc
        if isinstance(self._value, DefinitionError):
            raise self._value
        return self._value
