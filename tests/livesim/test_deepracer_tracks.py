"""The real DeepRacer tracks shipped as package data: the console's 62-track catalog, every
track loadable in every direction it is offered, and the student set."""

from __future__ import annotations

import json
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from livesim import deepracer_tracks as dt
from livesim.config import ConfigError, RaceConfig
from livesim.track import TrackError, get_track, load_track
from livesim.track_picture import track_svg
from livesim.world import World

from .conftest import PROJECT_ROOT, REAL_TRACKS

ENTRIES = dt.catalog_entries()
RUNS = [(e.id, d) for e in ENTRIES for d in e.directions]


def test_the_catalog_lists_the_consoles_62_tracks_with_names_and_difficulty():
    assert len(ENTRIES) == 62 == len({e.id for e in ENTRIES})
    assert all(e.name and 0 <= e.difficulty <= 100 for e in ENTRIES)
    assert json.loads((REAL_TRACKS.parent / "catalog.json").read_text()) == json.loads(
        dt.CATALOG_FILE.read_text())  # shipped unchanged


def test_every_simulator_track_file_ships_unchanged_with_its_licence_and_notice():
    shipped = {p.name for p in dt.DATA_DIR.glob("*.npy")}
    assert shipped == {p.name for p in REAL_TRACKS.glob("*.npy")} and len(shipped) == 127
    for name in ("reinvent_base.npy", "reInvent2019_wide_cw.npy"):
        assert (dt.DATA_DIR / name).read_bytes() == (REAL_TRACKS / name).read_bytes()
    assert "Apache License" in (dt.DATA_DIR / "LICENSE").read_text()
    notice = (dt.DATA_DIR / "NOTICE").read_text()
    assert "deepracer-simapp" in notice and "Apache License, Version 2.0" in notice
    assert all((dt.DATA_DIR / f"{f}.npy").is_file() for e in ENTRIES for f in e.files)


def test_the_track_files_are_package_data():
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    data = project["tool"]["setuptools"]["package-data"]["livesim"]
    assert {"tracks/*.npy", "tracks/catalog.json", "tracks/LICENSE", "tracks/NOTICE"} <= set(data)


@pytest.mark.parametrize("track_id, direction", RUNS)
def test_every_catalog_track_loads_in_every_direction_it_is_offered(track_id, direction):
    track = dt.catalog_track(track_id, direction)
    assert track.closed and track.clockwise == (direction == "clockwise")
    assert 15 < track.length < 95, track.length  # the simulator's tracks are 16-89 m
    assert 0.6 < track.width < 1.6, track.width  # 0.67-1.45 m across the catalog
    assert track.name == track_id and track.title == dt.get_entry(track_id).name


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.both_directions], ids=lambda e: e.id)
def test_both_directions_of_a_track_are_the_same_circuit(entry):
    cw, ccw = dt.catalog_track(entry.id, "clockwise"), dt.catalog_track(entry.id, "counter_clockwise")
    assert cw.length == pytest.approx(ccw.length, rel=0.01)
    assert cw.width == pytest.approx(ccw.width, abs=0.02)


def test_reinvent_base_is_the_2018_track_as_the_simulator_has_it():
    track = get_track("reinvent_base")
    raw = load_track(REAL_TRACKS / "reinvent_base.npy")
    assert track.title == "re:Invent 2018" and not track.clockwise
    assert track.length == pytest.approx(raw.length) == pytest.approx(17.7, abs=0.1)
    assert track.width == pytest.approx(0.76, abs=0.01)
    np.testing.assert_array_equal(track.center, raw.center)


def test_a_base_file_running_the_other_way_is_not_taken_for_the_default():
    """reInvent2019_wide.npy runs anticlockwise; the console races it clockwise by default."""
    entry = dt.get_entry("reInvent2019_wide")
    assert entry.default_direction == "clockwise"
    assert not load_track(REAL_TRACKS / "reInvent2019_wide.npy").clockwise
    assert dt.catalog_track("reInvent2019_wide").clockwise
    assert dt.entry_file("reInvent2019_wide", "clockwise") == "reInvent2019_wide_cw"


def test_a_direction_the_track_is_not_offered_in_is_refused_by_name():
    with pytest.raises(TrackError, match="re:Invent 2018 is raced counter-clockwise only, not clockwise"):
        dt.catalog_track("reinvent_base", "clockwise")
    with pytest.raises(TrackError, match="unknown catalog track 'nowhere'"):
        dt.catalog_track("nowhere")


def test_the_student_set_is_the_19_easiest_tracks():
    student = [e for e in ENTRIES if e.student]
    others = [e for e in ENTRIES if not e.student]
    assert len(student) == 19
    assert max(e.difficulty for e in student) <= dt.STUDENT_MAX_DIFFICULTY < min(e.difficulty for e in others)
    assert {e.level for e in student} == {"easy"}
    assert {"Virtual_May19_Train_track", "2022_june_open", "Canada_Training"} <= {e.id for e in student}


def test_a_race_direction_reverses_the_track_the_world_drives():
    track = dt.catalog_track("reinvent_base")
    assert RaceConfig().orient(track) is track
    assert RaceConfig(direction="counter_clockwise").orient(track) is track
    world = World(track, RaceConfig(direction="clockwise"), seed=1)
    assert world.track.clockwise and world.length == pytest.approx(track.length)
    with pytest.raises(ConfigError, match="direction must be one of"):
        RaceConfig(direction="sideways")


def test_a_track_picture_is_an_svg_of_its_road_centre_line_and_start():
    track = dt.catalog_track("reinvent_base")
    svg = track_svg(track.center, track.inner, track.outer, title="re:Invent <2018>")
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg" and root.find(f"{ns}title").text == "re:Invent <2018>"
    width, height = (float(v) for v in root.get("viewBox").split()[2:])
    assert max(width, height) == pytest.approx(160) and len(svg) < 12_000
    paths = root.findall(f"{ns}path")
    assert paths[0].get("fill-rule") == "evenodd"  # the road ring
    assert paths[-1].get("stroke-dasharray")  # the dashed centre line
    coords = [float(v) for p in paths for v in p.get("d").replace("M", " ").replace("Z", " ").replace(",", " ").split()]
    assert min(coords) >= 0 and max(coords) <= max(width, height)
    assert root.find(f"{ns}line") is not None  # the start line


def test_the_track_list_of_the_cli_names_catalog_ids_too():
    assert get_track("2022_summit_speedway").title == "RL Speedway"
    with pytest.raises(TrackError, match="DeepRacer catalog id"):
        get_track("no-such-track")


def test_catalog_ids_are_usable_as_slugs():
    import re

    assert all(re.fullmatch(r"[-a-zA-Z0-9_]{1,80}", e.id) for e in ENTRIES)
    assert Path(dt.DATA_DIR).name == "tracks"
