"""What the catalog holds of each of its files: the per-file state designers read.

A file is `loaded` (its definition is what new cases of that life event start with) or
`rejected` (with every problem found in it); a rejected file whose earlier version was good keeps
that version `live`, so one bad edit never takes a life event, or the rest of the catalog, away.
`GET /v1/catalog` (for designers) and `onestop catalog status` show these as they are.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class FileStatus(StrEnum):
    loaded = "loaded"
    rejected = "rejected"


class LiveVersion(BaseModel):
    """The version of a file new cases use: its life event (none for the agency directory),
    version and content digest (the digest cases are pinned to), and since when it is served."""

    type: str | None = None
    version: int | None = None
    digest: str
    since: datetime


class FileState(BaseModel):
    file: str = Field(description="the file's name in the catalog folder")
    status: FileStatus
    since: datetime = Field(description="when the file was first seen in this status (with these problems)")
    problems: list[str] = Field(
        default_factory=list, description="every problem, as file:line: $.path: message"
    )
    live: LiveVersion | None = Field(
        default=None,
        description="the version served: the loaded one, or the last good one of a rejected file",
    )
