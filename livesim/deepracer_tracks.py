"""The real DeepRacer tracks: the console's 62-track catalog over the simulator's track files.

``tracks/`` (package data) holds the 127 ``.npy`` track files of the public DeepRacer simulator
(deepracer-simapp, Apache-2.0: ``tracks/LICENSE`` and ``tracks/NOTICE``) and ``catalog.json``,
the console's catalog as aws-solutions/deepracer-on-aws lists it: each track's display name,
difficulty (0-100), default direction, the directions it is offered in and the files that hold
each direction. Lengths and widths come from the geometry.

A track offered both ways is loaded from the file that runs the wanted way (``<id>`` or
``<id>_cw`` / ``<id>_ccw``, checked by the geometry's own direction, since a base file does not
always run the default way: ``reInvent2019_wide`` is anticlockwise, its default clockwise).

The student set is the tracks of difficulty at most ``STUDENT_MAX_DIFFICULTY`` (19 of 62): the
console's own student list is not available, so the easiest tracks by the catalog's difficulty
stand in for it.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from livesim.track import Track, TrackError, load_track

__all__ = [
    "DATA_DIR",
    "STUDENT_MAX_DIFFICULTY",
    "CatalogEntry",
    "catalog_entries",
    "catalog_ids",
    "catalog_track",
    "get_entry",
    "has_catalog_track",
]

DATA_DIR = Path(__file__).with_name("tracks")
CATALOG_FILE = DATA_DIR / "catalog.json"
CLOCKWISE, COUNTER_CLOCKWISE = "clockwise", "counter_clockwise"
STUDENT_MAX_DIFFICULTY = 34
# The catalog's 0-100 difficulty in the four levels races use (easy is the student set).
LEVELS = ((STUDENT_MAX_DIFFICULTY, "easy"), (54, "medium"), (74, "hard"), (100, "expert"))


@dataclass(frozen=True)
class CatalogEntry:
    """One track of the console's catalog."""

    id: str
    name: str
    difficulty: int  # 0-100, the console's scale
    default_direction: str
    directions: tuple[str, ...]
    files: tuple[str, ...]

    @property
    def level(self) -> str:
        """easy / medium / hard / expert (easy is the student set)."""
        return next(name for top, name in LEVELS if self.difficulty <= top)

    @property
    def student(self) -> bool:
        return self.difficulty <= STUDENT_MAX_DIFFICULTY

    @property
    def both_directions(self) -> bool:
        return len(self.directions) > 1

    def file_for(self, direction: str) -> tuple[Path, bool]:
        """The file to load for ``direction`` and whether its geometry must be reversed."""
        want_cw = direction == CLOCKWISE
        suffix = "_cw" if want_cw else "_ccw"
        candidates = [f for f in (self.id, self.id + suffix) if f in self.files]
        candidates += [f for f in self.files if f not in candidates]
        for stem in candidates:
            if _file_track(stem).clockwise == want_cw:
                return DATA_DIR / f"{stem}.npy", False
        return DATA_DIR / f"{candidates[0]}.npy", True


def entry_file(track_id: str, direction: str) -> str:
    """The name (without .npy) of the file raced for ``direction`` of ``track_id``."""
    return get_entry(track_id).file_for(direction)[0].stem


@cache
def _file_track(stem: str) -> Track:
    return load_track(DATA_DIR / f"{stem}.npy")


def _entry(raw: dict) -> CatalogEntry:
    try:
        entry = CatalogEntry(
            id=str(raw["id"]), name=str(raw["name"]), difficulty=int(raw["difficulty"]),
            default_direction=str(raw["default_direction"]),
            directions=tuple(raw["directions"]), files=tuple(raw["files"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise TrackError(f"{CATALOG_FILE.name}: bad entry {raw!r} ({exc})") from None
    if entry.default_direction not in entry.directions or not set(entry.directions) <= {
            CLOCKWISE, COUNTER_CLOCKWISE}:
        raise TrackError(f"{CATALOG_FILE.name}: {entry.id} has directions {entry.directions} "
                         f"and default {entry.default_direction!r}")
    return entry


@cache
def catalog_entries() -> tuple[CatalogEntry, ...]:
    """The catalog in the console's order."""
    return tuple(_entry(raw) for raw in json.loads(CATALOG_FILE.read_text()))


@cache
def _by_id() -> dict[str, CatalogEntry]:
    return {e.id: e for e in catalog_entries()}


def catalog_ids() -> list[str]:
    return [e.id for e in catalog_entries()]


def has_catalog_track(track_id: str) -> bool:
    return track_id in _by_id()


def get_entry(track_id: str) -> CatalogEntry:
    try:
        return _by_id()[track_id]
    except KeyError:
        raise TrackError(f"unknown catalog track {track_id!r}") from None


@cache
def catalog_track(track_id: str, direction: str | None = None) -> Track:
    """The catalog track ``track_id`` driven in ``direction`` (default: the catalog's)."""
    entry = get_entry(track_id)
    direction = direction or entry.default_direction
    if direction not in entry.directions:
        ways = " or ".join(d.replace("_", "-") for d in entry.directions)
        raise TrackError(f"{entry.name} is raced {ways} only, not {direction.replace('_', '-')}")
    path, reverse = entry.file_for(direction)
    track = _file_track(path.stem)
    if reverse:
        track = track.reversed()
    return dataclasses.replace(
        track, name=track_id, title=entry.name, difficulty=entry.level,
        description=f"DeepRacer console track ({entry.difficulty}/100 difficulty)",
    )
