"""The versions of one life event and the diff between two of them, for `onestop catalog diff`
and `GET /v1/catalog/{type}/diff`.

A version is a definition a case was pinned to (by content digest), or the one the catalog
serves now even before any case used it. Oldest first by version number, then by when a case
was first pinned to it (the live one, not yet pinned, counts as now). The default compares the
two newest. A version is named by its number, or by a digest prefix where one number has
several digests (a file edited without a version bump).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from orchestrator.case_store import CaseStore
from orchestrator.definition import LifeEventDefinition
from orchestrator.definition_diff import VersionInfo, VersionsDiff, diff
from orchestrator.definition_store import DefinitionStore
from orchestrator.errors import InputError, UnknownLifeEvent

_DIGEST = re.compile(r"^[0-9a-f]{4,32}$")


@dataclass(frozen=True)
class _Version:
    definition: LifeEventDefinition
    info: VersionInfo


async def versions_diff(
    type_: str,
    live: LifeEventDefinition | None,
    definitions: DefinitionStore,
    cases: CaseStore,
    from_: str | None = None,
    to: str | None = None,
) -> VersionsDiff:
    """The diff `from_` → `to`; an UnknownLifeEvent when no version of `type_` is known, an
    InputError (naming `from` or `to`) when a version is not there or there is only one."""
    pinned = await definitions.versions(type_)
    found = [(p.definition, p.digest, p.pinned_at) for p in pinned]
    if live is not None and all(p.digest != live.digest for p in pinned):
        found.append((live, live.digest, None))
    if not found:
        raise UnknownLifeEvent(type_)
    now = datetime.now(UTC)
    found.sort(key=lambda f: (f[0].version, f[2] or now))
    counts = await cases.open_on(type_, [digest for _, digest, _ in found])
    versions = [
        _Version(
            definition,
            VersionInfo(
                version=definition.version,
                digest=digest,
                live=live is not None and digest == live.digest,
                open_cases=counts.get(digest, 0),
                first_pinned=at,
            ),
        )
        for definition, digest, at in found
    ]
    if len(versions) < 2:
        only = versions[0].info
        raise InputError(
            "from",
            f"{type_} has one version only (v{only.version}, {only.digest[:12]}): "
            "change its catalog file (and its version) to have two to compare",
        )
    problems: list[tuple[str, str]] = []
    newer = _named(versions, to, "to", problems) if to is not None else len(versions) - 1
    older = _named(versions, from_, "from", problems) if from_ is not None else None
    if problems:
        raise InputError(*problems[0], more=problems[1:])
    assert newer is not None
    if older is None:
        older = newer - 1 if newer > 0 else 0
    old, new = versions[older], versions[newer]
    return diff(old.definition, new.definition, old.info, new.info, [v.info for v in versions])


def _named(versions: list[_Version], name: str, field: str, problems: list[tuple[str, str]]) -> int | None:
    """The index of the version `name` (a number, or a digest prefix), or a problem recorded."""
    known = ", ".join(f"v{v.info.version} {v.info.digest[:12]}" for v in versions)
    if name.isdigit():
        matches = [i for i, v in enumerate(versions) if v.info.version == int(name)]
        if len(matches) > 1:
            digests = ", ".join(versions[i].info.digest[:12] for i in matches)
            problems.append(
                (field, f"v{name} has {len(matches)} digests ({digests}): name one by its digest")
            )
            return None
    elif _DIGEST.match(name):
        matches = [i for i, v in enumerate(versions) if v.info.digest.startswith(name)]
        if len(matches) > 1:
            problems.append((field, f"{name!r} starts {len(matches)} digests: give more of it"))
            return None
    else:
        problems.append((field, f"{name!r} is neither a version number nor a digest; known: {known}"))
        return None
    if not matches:
        problems.append((field, f"no version {name!r}; known: {known}"))
        return None
    return matches[0]
