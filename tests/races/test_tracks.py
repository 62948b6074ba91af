"""The track catalog: built-in tracks synced from livesim, and `import_track` for .npy files."""

from __future__ import annotations

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from livesim import catalog, deepracer_tracks
from races.models import Track
from races.tracks import sync_builtin_tracks, sync_tracks


def test_it_works(db):
    Track.objects.all().delete()
    count = sync_builtin_tracks()
    builtins = catalog.all_builtins()
    assert count == len(builtins) == Track.objects.count() >= 3
    assert set(Track.objects.values_list("slug", flat=True)) == {t.name for t in builtins}
    for track in Track.objects.all():
        assert track.source == Track.Source.BUILTIN
        assert track.length_m > 0 and 0.3 < track.width_m < 3
        assert not track.student  # demo tracks: the student set is the console's (below)
        assert len(track.geometry["center"]) == len(track.geometry["inner"]) == len(track.geometry["outer"])


def test_it_is_idempotent_and_refreshes(tracks):
    before = {t.slug: (t.pk, t.length_m, t.popularity) for t in Track.objects.all()}
    stale = Track.objects.filter(source=Track.Source.BUILTIN).first()  # catalog tracks may be there too
    Track.objects.filter(pk=stale.pk).update(name="Stale", popularity=0)
    sync_builtin_tracks()
    after = {t.slug: (t.pk, t.length_m, t.popularity) for t in Track.objects.all()}
    assert after == before
    assert not Track.objects.filter(name="Stale").exists()


def test_it_ranks_closed_circuits_first_then_catalog_order(tracks):
    builtins = catalog.all_builtins()
    names = [t.name for t in builtins if t.closed] + [t.name for t in builtins if not t.closed]
    by_popularity = list(Track.objects.filter(source=Track.Source.BUILTIN).order_by("-popularity")
                         .values_list("slug", flat=True))
    assert by_popularity == names


# -- the real DeepRacer catalog ------------------------------------------------------------------

def test_the_deepracer_catalog_is_synced_before_the_builtins(db):
    Track.objects.all().delete()
    assert sync_tracks() == 62 + len(catalog.all_builtins())
    real = Track.objects.filter(source=Track.Source.CATALOG)
    assert real.count() == 62
    ranked = list(Track.objects.values_list("source", flat=True))  # default ordering: popularity
    assert ranked[:62] == ["catalog"] * 62 and set(ranked[62:]) == {"builtin"}
    assert [t.slug for t in real[:2]] == ["2024_reinvent_champ", "2022_april_open"]  # console order
    assert sync_tracks() and Track.objects.count() == 62 + len(catalog.all_builtins())  # idempotent


def test_every_catalog_track_has_its_geometry_length_width_and_directions(catalog):
    real = catalog.filter(source=Track.Source.CATALOG)
    for track in real:
        entry = deepracer_tracks.get_entry(track.slug)
        assert track.name == entry.name and track.closed
        assert 15 < track.length_m < 95 and 0.6 < track.width_m < 1.6
        assert track.both_directions == (len(entry.directions) == 2)
        assert track.direction == ("cw" if entry.default_direction == "clockwise" else "ccw")
        assert track.to_livesim().length == pytest.approx(track.length_m, abs=0.05)
    base = real.get(slug="reinvent_base")
    assert (base.name, base.length_m, base.width_m, base.both_directions) == ("re:Invent 2018", 17.71, 0.762, False)
    assert real.get(slug="reInvent2019_wide").direction == "cw"


def test_the_student_set_is_the_19_easiest_catalog_tracks(catalog):
    real = catalog.filter(source=Track.Source.CATALOG)
    student = real.filter(student=True)
    assert student.count() == 19
    assert set(student.values_list("difficulty", flat=True)) == {Track.Difficulty.EASY}
    assert not real.filter(student=False, difficulty=Track.Difficulty.EASY).exists()
    assert set(catalog.filter(student=True)) == set(student)  # no built-in demo track


def test_a_student_race_offers_exactly_the_19_student_tracks(catalog, as_alice):
    """What README "Tracks" promises: the wizard's picker offers a student race (race_form.js
    shows the data-student="1" cards) the 19 Easy console tracks, no Medium track and none of
    livesim's demo tracks."""
    import re

    page = as_alice.get("/races/new/").content.decode()
    assert len(re.findall(r'data-student="1"', page)) == 19
    assert Track.objects.filter(student=True).count() == 19
    demo = catalog.get(slug="kidney")  # a Medium built-in track, offered before
    assert demo.difficulty == Track.Difficulty.MEDIUM and not demo.student


def test_the_sync_tracks_command_fills_the_catalog(db, capsys):
    Track.objects.all().delete()
    call_command("sync_tracks")
    assert Track.objects.filter(source="catalog").count() == 62
    assert "The catalog holds 71 synced tracks." in capsys.readouterr().out


def test_a_track_picture_is_served_as_svg_for_anyone(client, catalog):
    response = client.get("/tracks/reinvent_base.svg")
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    body = response.content.decode()
    assert body.startswith("<svg") and "<title>re:Invent 2018</title>" in body
    assert client.get("/tracks/nowhere.svg").status_code == 404


def test_the_track_page_shows_each_picture(client, catalog):
    page = client.get("/tracks/").content.decode()
    for track in catalog:
        assert f'src="/tracks/{track.slug}.svg"' in page


def test_it_rebuilds_the_simulator_track_from_the_catalog(student_track):
    sim = student_track.to_livesim()
    assert sim.length == pytest.approx(student_track.length_m, abs=0.05)
    assert sim.closed == student_track.closed


@pytest.fixture
def real_file(shared_dir):
    path = shared_dir / "tracks" / "deepracer-simapp" / "reInvent2019_track.npy"
    assert path.is_file(), f"missing real track file {path}"
    return path


def test_it_imports_a_real_track_file(real_file, tracks, capsys):
    before = Track.objects.count()
    call_command("import_track", str(real_file), "--name", "Smile Speedway", "--difficulty", "hard",
                 "--description", "re:Invent 2019")
    track = Track.objects.get(slug="smile-speedway")
    assert Track.objects.count() == before + 1
    assert (track.name, track.source, track.difficulty) == ("Smile Speedway", "imported", Track.Difficulty.HARD)
    assert track.description == "re:Invent 2019" and track.closed and not track.student
    raw = np.load(real_file)
    assert len(track.geometry["center"]) <= len(raw)
    assert 15 < track.length_m < 30 and track.width_m == pytest.approx(1.07, abs=0.05)
    assert "Added Smile Speedway (smile-speedway)" in capsys.readouterr().out
    assert track.to_livesim().length == pytest.approx(track.length_m, abs=0.05)


def test_it_rejects_a_name_already_in_the_catalog(real_file, tracks):
    call_command("import_track", str(real_file), "--name", "Smile Speedway")
    with pytest.raises(CommandError, match="already in the catalog"):
        call_command("import_track", str(real_file), "--name", "smile speedway")
    assert Track.objects.filter(source="imported").count() == 1


def _bad_files(tmp_path):
    wrong_shape = tmp_path / "four_columns.npy"
    np.save(wrong_shape, np.zeros((20, 4)))
    with_nan = tmp_path / "nan.npy"
    square = np.array([[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]], dtype=float)
    data = np.hstack([square, square * 0.8 + 0.4, square * 1.2 - 0.4])
    data[2, 0] = np.nan
    np.save(with_nan, data)
    text = tmp_path / "notes.npy"
    text.write_text("this is not numpy")
    return {
        "a directory": (tmp_path, "not a file"),
        "a missing file": (tmp_path / "missing.npy", "not found"),
        "the wrong shape": (wrong_shape, "wrong shape (20, 4)"),
        "NaN values": (with_nan, "NaN"),
        "not a .npy file": (text, "not a .npy file"),
    }


@pytest.mark.parametrize("kind", ["a directory", "a missing file", "the wrong shape", "NaN values", "not a .npy file"])
def test_it_rejects_a_bad_file(tmp_path, tracks, kind):
    path, problem = _bad_files(tmp_path)[kind]
    before = Track.objects.count()
    with pytest.raises(CommandError) as exc:
        call_command("import_track", str(path), "--name", "Broken")
    assert problem in str(exc.value) and str(path) in str(exc.value)
    assert Track.objects.count() == before
    assert not Track.objects.filter(slug="broken").exists()


def test_it_rejects_a_name_without_letters_or_digits(real_file, tracks):
    before = Track.objects.count()
    with pytest.raises(CommandError, match="at least one letter or digit"):
        call_command("import_track", str(real_file), "--name", "!!!")
    assert Track.objects.count() == before


def test_it_rejects_an_unknown_difficulty(real_file, tracks):
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("import_track", str(real_file), "--name", "X", "--difficulty", "insane")


def test_the_track_page_lists_the_catalog(client, tracks):
    page = client.get("/tracks/").content.decode()
    for track in tracks:
        assert track.name in page


def test_it_rejects_a_name_longer_than_the_catalog_allows(real_file, tracks):
    before = Track.objects.count()
    with pytest.raises(CommandError, match="80 characters"):
        call_command("import_track", str(real_file), "--name", "Very Long Circuit " * 6)
    assert Track.objects.count() == before
    call_command("import_track", str(real_file), "--name", "x" * 80)
    assert Track.objects.filter(slug="x" * 80).exists()
