"""Two versions of a life event compared, as `onestop catalog diff` prints them: each kind of
change on a line of its own, then every known version with its open cases."""

from __future__ import annotations

from orchestrator.definition_diff import Changes, VersionInfo, VersionsDiff


def diff_lines(found: VersionsDiff) -> list[str]:
    lines = [f"{found.type}: {_name(found.from_)} -> {_name(found.to)}"]
    lines += _changes("steps", found.steps)
    lines += _changes("inputs", found.inputs)
    lines += _changes("agencies", found.agencies)
    for share in found.fields_shared:
        change = [*(f"+{f}" for f in share.added), *(f"-{f}" for f in share.removed)]
        lines.append(f"fields shared with {share.agency}: {', '.join(change)}")
    if len(lines) == 1:
        lines.append("no change in steps, inputs, agencies or fields shared")
    lines.append("versions (oldest first)")
    for version in found.versions:
        live = ", live" if version.live else ""
        lines.append(f"  {_name(version)}: {version.open_cases} open case(s){live}")
    return lines


def _name(version: VersionInfo) -> str:
    return f"v{version.version} ({version.digest[:12]})"


def _changes(what: str, changes: Changes) -> list[str]:
    lines = []
    if changes.added:
        lines.append(f"{what} added: {', '.join(changes.added)}")
    if changes.removed:
        lines.append(f"{what} removed: {', '.join(changes.removed)}")
    lines += [f"{what} changed: {c.name} ({', '.join(c.keys)})" for c in changes.changed]
    return lines
