"""The catalog as the running services hold it: each file loaded or rejected on its own.

Before, one invalid file blocked every reload and left only a log line; these check that a bad
file is rejected alone, that the last good version of its life event (and of the agency
directory) stays live, and that each file's state says since when, from a folder on disk and a
clock the test moves.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from orchestrator.catalog import CatalogSource
from orchestrator.catalog_status import FileState, FileStatus
from orchestrator.errors import DefinitionError
from tests.conftest import CATALOG

MARRIAGE = (CATALOG / "marriage.yaml").read_text()
AGENCIES = (CATALOG / "agencies.yaml").read_text()
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def tick(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


def write(path: Path, text: str) -> None:
    """Write and give the file a distinct modification time, as an editor's save would."""
    path.write_text(text)
    stamp = path.stat().st_mtime_ns + 1_000_000
    os.utime(path, ns=(stamp, stamp))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write(tmp_path / "agencies.yaml", AGENCIES)
    write(tmp_path / "marriage.yaml", MARRIAGE)
    # Without its offers: the life events they name are not in this folder.
    moving = (CATALOG / "moving_house.yaml").read_text().split("\noffers:")[0]
    write(tmp_path / "moving_house.yaml", moving)
    return tmp_path


def state(source: CatalogSource, name: str) -> FileState:
    return next(s for s in source.files() if s.file == name)


def test_a_bad_file_beside_good_ones_is_rejected_alone(folder: Path) -> None:
    write(folder / "broken.yaml", "type: broken\nversion: [\n")
    write(
        folder / "misspelt.yaml",
        MARRIAGE.replace("type: marriage", "type: wedding").replace(
            "agency: tax_office", "agency: tax_ofice"
        ),
    )
    source = CatalogSource(folder, Clock())
    assert sorted(source.current().definitions) == ["marriage", "moving_house"]
    broken, misspelt = state(source, "broken.yaml"), state(source, "misspelt.yaml")
    assert broken.status is misspelt.status is FileStatus.rejected
    assert broken.live is None and broken.since == T0
    assert "not valid YAML" in broken.problems[0]
    assert any("unknown agency 'tax_ofice'" in p for p in misspelt.problems)
    loaded = state(source, "marriage.yaml")
    assert loaded.status is FileStatus.loaded and loaded.problems == []
    assert loaded.live is not None
    assert (loaded.live.type, loaded.live.version, loaded.since) == ("marriage", 1, T0)
    assert loaded.live.digest == source.current().get("marriage").digest
    assert [s.file for s in source.files()] == [
        "agencies.yaml",
        "broken.yaml",
        "marriage.yaml",
        "misspelt.yaml",
        "moving_house.yaml",
    ]


def test_an_edit_that_breaks_a_file_keeps_its_last_good_version_live(folder: Path) -> None:
    clock = Clock()
    source = CatalogSource(folder, clock)
    good = source.current().get("marriage")
    broken_at = clock.tick()
    write(
        folder / "marriage.yaml",
        MARRIAGE.replace("version: 1", "version: 2").replace(
            "depends_on: [register_marriage]\n    when", "depends_on: [register_marriag]\n    when"
        ),
    )
    assert source.current().get("marriage") == good  # new cases still get version 1
    rejected = state(source, "marriage.yaml")
    assert rejected.status is FileStatus.rejected and rejected.since == broken_at
    assert any("unknown step 'register_marriag'" in p for p in rejected.problems)
    assert rejected.live is not None
    assert (rejected.live.version, rejected.live.digest, rejected.live.since) == (1, good.digest, T0)
    # Another designer's edit still goes live while this file stays broken.
    clock.tick()
    moving = (folder / "moving_house.yaml").read_text()
    write(folder / "moving_house.yaml", moving.replace("version: 1", "version: 7", 1))
    assert source.current().get("moving_house").version == 7
    assert state(source, "marriage.yaml").since == broken_at  # still the same problems
    fixed_at = clock.tick()
    write(folder / "marriage.yaml", MARRIAGE.replace("version: 1", "version: 2"))
    assert source.current().get("marriage").version == 2
    fixed = state(source, "marriage.yaml")
    assert fixed.status is FileStatus.loaded and fixed.since == fixed_at and fixed.problems == []


def test_a_broken_agency_directory_keeps_the_last_good_one(folder: Path) -> None:
    clock = Clock()
    source = CatalogSource(folder, clock)
    directory = source.directory()
    broken_at = clock.tick()
    write(folder / "agencies.yaml", AGENCIES.replace("    country_model:", "    country_modell:", 1))
    assert source.directory() == directory
    assert sorted(source.current().definitions) == ["marriage", "moving_house"]
    rejected = state(source, "agencies.yaml")
    assert rejected.status is FileStatus.rejected and rejected.since == broken_at
    assert any("country_modell: Extra inputs are not permitted" in p for p in rejected.problems)
    assert rejected.live is not None and rejected.live.type is None and rejected.live.since == T0
    # Definitions are checked against the live directory meanwhile: a new one still loads.
    write(folder / "wedding.yaml", MARRIAGE.replace("type: marriage", "type: wedding"))
    assert "wedding" in source.current().definitions
    (folder / "agencies.yaml").unlink()
    assert "missing" in state(source, "agencies.yaml").problems[0]
    assert source.directory() == directory


def test_a_second_file_of_a_live_type_is_rejected_and_the_first_keeps_it(folder: Path) -> None:
    source = CatalogSource(folder, Clock())
    served = source.current().get("marriage")
    # Sorted first, but the file already serving the type keeps it.
    write(folder / "a_marriage.yaml", MARRIAGE.replace("version: 1", "version: 9"))
    assert source.current().get("marriage") == served
    [problem] = state(source, "a_marriage.yaml").problems
    assert "type 'marriage' is already defined in marriage.yaml" in problem
    (folder / "marriage.yaml").unlink()
    assert source.current().get("marriage").version == 9
    assert "marriage.yaml" not in [s.file for s in source.files()]


def test_a_start_without_a_good_agency_directory_fails(folder: Path) -> None:
    write(folder / "agencies.yaml", "agencies: [\n")
    with pytest.raises(DefinitionError) as caught:
        CatalogSource(folder)
    assert "not valid YAML" in caught.value.problems[0]
