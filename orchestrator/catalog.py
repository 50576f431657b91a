"""The life-event catalog: one YAML file per life event, and the agency directory beside them.

`CatalogSource` is the catalog as the running API and worker see it: files are reloaded when
they change, each on its own. A file that stops validating is rejected alone, with every problem
found in it, and the last good version of its life event stays live (the same for
`agencies.yaml`: the last good directory stays live), so one designer's bad edit neither blocks
the others' nor takes a life event away. `files()` says which file is in which state, since when.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import structlog

from orchestrator.agencies import AgencyDirectory
from orchestrator.catalog_status import FileState, FileStatus, LiveVersion
from orchestrator.definition import LifeEventDefinition
from orchestrator.definition_parse import AGENCIES_FILE, parse_definition, parse_directory
from orchestrator.errors import DefinitionError, UnknownLifeEvent

__all__ = [
    "AGENCIES_FILE",
    "Catalog",
    "CatalogSource",
    "find_definition",
    "known_services",
    "load_catalog",
    "parse_definition",
    "read_directory",
]

log = structlog.get_logger(__name__)


@dataclass
class Catalog:
    directory: AgencyDirectory
    definitions: dict[str, LifeEventDefinition] = field(default_factory=dict)

    def get(self, type_: str) -> LifeEventDefinition:
        try:
            return self.definitions[type_]
        except KeyError:
            raise UnknownLifeEvent(type_, list(self.definitions)) from None


def read_directory(file: Path) -> AgencyDirectory:
    """The agency directory in `file`, or a DefinitionError saying what is wrong with it."""
    try:
        text = file.read_text()
    except FileNotFoundError:
        raise DefinitionError(str(file), [f"{file}: missing: a catalog needs its agency directory"]) from None
    except OSError as exc:
        raise DefinitionError(str(file), [f"{file}: cannot be read: {exc.strerror}"]) from None
    return parse_directory(text, str(file))


def load_catalog(path: Path) -> Catalog:
    """Every definition under `path`, or a DefinitionError listing every problem found: all or
    nothing, for checks of a whole folder (the running services use `CatalogSource`)."""
    directory = read_directory(path / AGENCIES_FILE)
    catalog = Catalog(directory=directory)
    problems: list[str] = []
    services = known_services(_definition_files(path), directory)
    for file in _definition_files(path):
        try:
            definition = parse_definition(file.read_text(), str(file), directory, services)
        except DefinitionError as exc:
            problems += exc.problems
            continue
        if definition.type in catalog.definitions:
            problems.append(f"{file}: type {definition.type!r} is defined twice")
        catalog.definitions[definition.type] = definition
    if problems:
        raise DefinitionError(str(path), problems)
    return catalog


def find_definition(path: Path, type_: str) -> LifeEventDefinition:
    """The valid definition of `type_` in the folder `path`, whatever the state of the other files
    (for a designer's tools; an invalid agencies.yaml is a DefinitionError)."""
    directory = read_directory(path / AGENCIES_FILE)
    known: list[str] = []
    for file in _definition_files(path):
        try:
            definition = parse_definition(file.read_text(), str(file), directory)
        except (DefinitionError, OSError):
            continue
        if definition.type == type_:
            return definition
        known.append(definition.type)
    raise UnknownLifeEvent(type_, known)


def known_services(files: list[Path], directory: AgencyDirectory) -> dict[str, LifeEventDefinition]:
    """The life events in `files` that parse on their own (their offers' services unchecked):
    what the offers of each file are checked against, since an offer names another file's type.
    The first file of a type holds it, as when the catalog loads."""
    found: dict[str, LifeEventDefinition] = {}
    for file in files:
        try:
            definition = parse_definition(file.read_text(), str(file), directory)
        except (DefinitionError, OSError, UnicodeDecodeError):
            continue
        found.setdefault(definition.type, definition)
    return found


def _definition_files(path: Path) -> list[Path]:
    return [f for f in sorted(path.glob("*.yaml")) if f.name != AGENCIES_FILE]


def _now() -> datetime:
    return datetime.now(UTC)


_Parsed = LifeEventDefinition | list[str]  # a definition, or the problems that rejected its file


class CatalogSource:
    """The catalog as it is on disk now, reloaded when a file changes, file by file.

    Only a start without any good agency directory fails (a DefinitionError): nothing could be
    checked against it. Two files of one type: the file already serving it keeps it."""

    def __init__(self, path: Path, clock: Callable[[], datetime] = _now) -> None:
        self.path = path
        self._clock = clock
        self._directory: AgencyDirectory | None = None
        self._good: dict[str, LifeEventDefinition] = {}  # file -> its last good version
        self._served: dict[str, LifeEventDefinition] = {}  # file -> what it serves now
        self._live: dict[str, LiveVersion] = {}  # file -> its last good version, since when
        self._states: dict[str, FileState] = {}
        self._signature = self._stat()
        self._catalog = self._reload()

    def current(self) -> Catalog:
        signature = self._stat()
        if signature != self._signature:
            self._signature = signature
            self._catalog = self._reload()
        return self._catalog

    def directory(self) -> AgencyDirectory:
        """The live agency directory (the worker's reconciler and the simulators read it)."""
        return self.current().directory

    def files(self) -> list[FileState]:
        """Every file of the catalog folder, loaded or rejected, in name order."""
        self.current()
        return [self._states[name] for name in sorted(self._states)]

    def _reload(self) -> Catalog:
        now = self._clock()
        directory = self._reload_directory(now)
        files = _definition_files(self.path)
        for gone in set(self._states) - {f.name for f in files} - {AGENCIES_FILE}:
            for kept in (self._good, self._served, self._live, self._states):
                kept.pop(gone, None)
        # Offers name other life events: check them against every file that parses, and the last
        # good version of one that does not (it is still served).
        services = {d.type: d for d in self._good.values()} | known_services(files, directory)
        fresh = {f.name: self._parse(f, directory, services) for f in files}
        # Files that keep serving the type they served are placed first: they keep their claim.
        order = sorted(fresh, key=lambda name: (not self._keeps_type(name, fresh[name]), name))
        claims: dict[str, str] = {}
        served: dict[str, LifeEventDefinition] = {}
        for name in order:
            parsed = fresh[name]
            if isinstance(parsed, LifeEventDefinition):
                holder = claims.get(parsed.type)
                if holder is None:
                    claims[parsed.type] = name
                    served[name] = parsed
                    self._accept(name, parsed, now)
                    continue
                parsed = [
                    f"{self.path / name}: type {parsed.type!r} is already defined in {holder}: "
                    "give this file another type, or remove one of the two files"
                ]
            last = self._good.get(name)
            if last is not None and last.type not in claims:
                claims[last.type] = name
                served[name] = last
            self._reject(name, parsed, now, self._live.get(name) if name in served else None)
        self._served = served
        return Catalog(directory=directory, definitions={d.type: d for d in served.values()})

    def _reload_directory(self, now: datetime) -> AgencyDirectory:
        try:
            directory = read_directory(self.path / AGENCIES_FILE)
        except DefinitionError as exc:
            if self._directory is None:
                raise
            self._reject(AGENCIES_FILE, exc.problems, now, self._live.get(AGENCIES_FILE))
            return self._directory
        digest = hashlib.sha256(directory.model_dump_json().encode()).hexdigest()[:32]
        self._directory = directory
        self._record_live(AGENCIES_FILE, LiveVersion(digest=digest, since=now), now)
        return directory

    def _parse(
        self, file: Path, directory: AgencyDirectory, services: dict[str, LifeEventDefinition]
    ) -> _Parsed:
        try:
            return parse_definition(file.read_text(), str(file), directory, services)
        except DefinitionError as exc:
            return exc.problems
        except OSError as exc:  # removed or replaced between the listing and the read
            return [f"{file}: cannot be read: {exc.strerror}"]

    def _keeps_type(self, name: str, parsed: _Parsed) -> bool:
        serving = self._served.get(name)
        candidate = parsed if isinstance(parsed, LifeEventDefinition) else self._good.get(name)
        return serving is not None and candidate is not None and serving.type == candidate.type

    def _accept(self, name: str, definition: LifeEventDefinition, now: datetime) -> None:
        self._good[name] = definition
        live = LiveVersion(
            type=definition.type, version=definition.version, digest=definition.digest, since=now
        )
        self._record_live(name, live, now)

    def _record_live(self, name: str, live: LiveVersion, now: datetime) -> None:
        known = self._live.get(name)
        if known is not None and known.digest == live.digest:
            live = known  # the same content: served since it was first loaded
        self._live[name] = live
        before = self._states.get(name)
        if before is not None and before.status is FileStatus.loaded and before.live == live:
            return
        self._states[name] = FileState(file=name, status=FileStatus.loaded, since=now, live=live)
        log.info("catalog_file_loaded", file=name, type=live.type, version=live.version, digest=live.digest)

    def _reject(self, name: str, problems: list[str], now: datetime, live: LiveVersion | None) -> None:
        before = self._states.get(name)
        same = before is not None and before.status is FileStatus.rejected and before.problems == problems
        if same and before is not None and before.live == live:
            return
        since = before.since if same and before is not None else now
        self._states[name] = FileState(
            file=name, status=FileStatus.rejected, since=since, problems=problems, live=live
        )
        log.warning(
            "catalog_file_rejected",
            file=name,
            problems=problems,
            live_version=live.version if live else None,
            live_digest=live.digest if live else None,
        )

    def _stat(self) -> list[tuple[str, int, int]]:
        stats = []
        for file in sorted(self.path.glob("*.yaml")):
            try:
                stat = file.stat()
            except FileNotFoundError:  # removed while listing: the next call sees it gone
                continue
            stats.append((file.name, stat.st_mtime_ns, stat.st_size))
        return stats
