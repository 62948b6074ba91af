"""An in-person race speaks of turns and laps, not of the Classic race's submissions, trials and
entry criteria; its card says In person and offers no *Enter race* / *Race again* (racers do not
submit models to it: the timekeeper times their turns)."""

from __future__ import annotations

import re

import pytest

from timing import desk

CLASSIC_WORDS = ("Trials", "Entry criteria", "Race again", "Enter race", "Off-track penalty")


def visible_text(html: str) -> str:
    """The page's text as a reader sees it (no scripts, styles or tags)."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S | re.I)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def bob_timed(in_person_race, bob, monkeypatch):
    """bob has had a turn with one lap (so he has a standing, as a racer who raced)."""
    now = {"ms": 1_000_000.0}
    monkeypatch.setattr(desk, "now_ms", lambda: now["ms"])
    desk.act(in_person_race, "start", racer_id=bob.pk)
    desk.act(in_person_race, "capture_lap")
    now["ms"] += 12_000
    desk.act(in_person_race, "capture_lap")
    desk.act(in_person_race, "end")
    return in_person_race


def test_the_in_person_race_page_speaks_of_turns_and_laps(bob_timed, as_bob):
    text = visible_text(as_bob.get(f"/races/{bob_timed.pk}/").content.decode())
    for word in CLASSIC_WORDS:
        assert word not in text
    assert not re.search(r"submission", text, re.I)
    assert "In person" in text
    assert "Time per racer 2 min per turn" in text
    assert "Minimum lap time" in text and "Best single valid lap" in text
    assert "1 turn timed" in text  # Your status
    assert re.search(r"Rank\s+Racer .* Turns Laps", text)  # the board's columns


def test_the_in_person_board_has_no_off_track_column(bob_timed, as_bob):
    """Timers and the timekeeper count resets, never off-tracks: a column of zeros is left out,
    and each row still lines up with the header."""
    html = as_bob.get(f"/races/{bob_timed.pk}/").content.decode()
    board = re.search(r'<table class="board">.*?</table>', html, re.S).group(0)
    headers = [visible_text(th).strip() for th in re.findall(r"<th>.*?</th>", board, re.S)]
    row = re.search(r'<tr class="me">(.*?)</tr>', board, re.S).group(1)
    assert "Off-track" not in headers and "Resets" in headers
    assert len(re.findall(r"<td>", row)) == len(headers)


def test_a_classic_board_keeps_its_off_track_column(race, joined, as_bob):
    html = as_bob.get(f"/races/{race.pk}/").content.decode()
    board = re.search(r'<table class="board">.*?</table>', html, re.S).group(0)
    assert "Off-track" in board


def test_the_racers_home_card_has_the_badge_and_no_race_again(bob_timed, as_bob):
    html = as_bob.get("/").content.decode()
    card = re.search(rf'<div class="panel racecard" id="racecard-{bob_timed.pk}">.*?\n</div>', html, re.S).group(0)
    text = visible_text(card)
    assert "In person" in text
    assert "Race again" not in text and "Enter race" not in text
    assert "Your rank: 1" in text


def test_a_classic_card_still_offers_race_again(race, bob, as_bob):
    from races.models import Participant

    Participant.objects.get_or_create(race=race, user=bob)
    html = as_bob.get("/").content.decode()
    card = re.search(rf'<div class="panel racecard" id="racecard-{race.pk}">.*?\n</div>', html, re.S).group(0)
    assert "Enter race" in card and "In person" not in card
