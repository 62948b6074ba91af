"""The reference driver laps every closed real DeepRacer track and every built-in track."""

from __future__ import annotations

import pytest

from livesim import builtin_tracks, load_track
from livesim.config import RaceConfig
from livesim.reference import TEMPERAMENTS, ReferenceDriver
from livesim.world import World
from tests.livesim.simhelpers import run

LAPS = 3


def three_laps(track, driver) -> tuple[int, int]:
    """(completed laps, off-tracks) of a 3-lap continuous run."""
    w = run(World(track, RaceConfig(laps=LAPS), seed=0), driver, max_steps=40_000)
    return sum(lap.completed for lap in w.laps), sum(lap.off_track_count for lap in w.laps)


def check_all(tracks, driver) -> None:
    not_done, off = [], []
    for tr in tracks:
        laps, offs = three_laps(tr, driver)
        if laps < LAPS:
            not_done.append(f"{tr.name} ({laps}/{LAPS} laps)")
        if offs:
            off.append(f"{tr.name} ({offs} off-tracks)")
    report = f"not completed: {not_done or 'none'}; with off-tracks: {off or 'none'}"
    print(f"{len(tracks)} tracks; {report}")
    assert not not_done, report
    assert len(off) <= 0.05 * len(tracks), report


def test_conservative_driver_laps_every_closed_real_track(shared_dir) -> None:
    files = sorted((shared_dir / "tracks" / "deepracer-simapp").glob("*.npy"))
    tracks = [t for t in (load_track(f) for f in files) if t.closed]
    assert len(tracks) >= 120  # the 126 loops of the simulator's 127 files
    check_all(tracks, ReferenceDriver("cautious"))


def test_default_driver_laps_every_builtin_track() -> None:
    tracks = builtin_tracks()
    assert len(tracks) >= 5
    check_all(tracks, ReferenceDriver())


def test_temperaments_differ_in_pace() -> None:
    tr = next(t for t in builtin_tracks() if t.name == "sweeper")
    times = {}
    for name in ("cautious", "aggressive"):
        w = run(World(tr, RaceConfig(laps=1)), ReferenceDriver(name))
        times[name] = w.laps[0].time
    assert times["aggressive"] < 0.8 * times["cautious"]
    assert set(TEMPERAMENTS) >= {"cautious", "steady", "brisk", "aggressive"}


def test_driver_parameters_are_validated_and_reported() -> None:
    d = ReferenceDriver("brisk", max_speed=3.0)
    assert d.metadata["driver"]["max_speed"] == 3.0
    assert d.metadata["temperament"] == "brisk"
    assert d.metadata["action_space_type"] == "continuous"
    with pytest.raises(ValueError, match="max_speed"):
        ReferenceDriver(max_speed=9.0)
    with pytest.raises(ValueError, match="unknown reference driver parameter"):
        ReferenceDriver(warp=1.0)
    with pytest.raises(ValueError, match="temperament"):
        ReferenceDriver("sleepy")
