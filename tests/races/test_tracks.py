"""The track catalog: built-in tracks synced from livesim, and `import_track` for .npy files."""

from __future__ import annotations

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from livesim import catalog
from races.models import Track
from races.tracks import sync_builtin_tracks


def test_it_works(db):
    Track.objects.all().delete()
    count = sync_builtin_tracks()
    builtins = catalog.all_builtins()
    assert count == len(builtins) == Track.objects.count() >= 3
    assert set(Track.objects.values_list("slug", flat=True)) == {t.name for t in builtins}
    for track in Track.objects.all():
        assert track.source == Track.Source.BUILTIN
        assert track.length_m > 0 and 0.3 < track.width_m < 3
        assert track.student == (track.difficulty <= Track.Difficulty.MEDIUM)
        assert len(track.geometry["center"]) == len(track.geometry["inner"]) == len(track.geometry["outer"])
    assert Track.objects.filter(student=True, closed=True).exists()  # student races need one
    assert Track.objects.filter(student=False).exists()


def test_it_is_idempotent_and_refreshes(tracks):
    before = {t.slug: (t.pk, t.length_m, t.popularity) for t in Track.objects.all()}
    Track.objects.filter(slug=next(iter(before))).update(name="Stale", popularity=0)
    sync_builtin_tracks()
    after = {t.slug: (t.pk, t.length_m, t.popularity) for t in Track.objects.all()}
    assert after == before
    assert not Track.objects.filter(name="Stale").exists()


def test_it_ranks_closed_circuits_first_then_catalog_order(tracks):
    builtins = catalog.all_builtins()
    names = [t.name for t in builtins if t.closed] + [t.name for t in builtins if not t.closed]
    by_popularity = list(Track.objects.order_by("-popularity").values_list("slug", flat=True))
    assert by_popularity == names


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
