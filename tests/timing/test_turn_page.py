"""The board's link on an in-person race's row: the turn's laps (an in-person run has no replay),
never a 404."""

from __future__ import annotations

import pytest

from timing import desk


@pytest.fixture
def timed_turn(in_person_race, bob, monkeypatch):
    """bob's turn: lap 1 of 10.5 s with two resets (invalid with a max of one), lap 2 of 9.5 s."""
    in_person_race.max_resets = 1
    in_person_race.save(update_fields=["max_resets"])
    now = {"ms": 1_000_000.0}
    monkeypatch.setattr(desk, "now_ms", lambda: now["ms"])
    desk.act(in_person_race, "start", racer_id=bob.pk, car="Car 3")
    desk.act(in_person_race, "capture_lap")
    for at, action in ((1_005_000, "reset"), (1_006_000, "reset"), (1_010_500, "capture_lap"),
                       (1_020_000, "capture_lap"), (1_021_000, "end")):
        now["ms"] = at
        desk.act(in_person_race, action)
    return in_person_race


def test_the_boards_link_on_an_in_person_row_shows_the_turns_laps(timed_turn, as_bob):
    from leaderboard.board import race_leaderboard

    row = race_leaderboard(timed_turn)[0]
    page = as_bob.get(row["watch_url"], follow=True)
    assert page.status_code == 200
    html = page.content.decode()
    assert "BobTheRacer" in html and "Car 3" in html
    assert "00:10.500" in html and "00:09.500" in html
    assert "invalid: " in html and html.count('class="lap invalid"') == 1
    assert "best valid lap <strong>00:09.500</strong>" in html


def test_the_race_pages_board_links_only_to_pages_that_exist(timed_turn, as_bob):
    import re

    html = as_bob.get(f"/races/{timed_turn.pk}/").content.decode()
    links = re.findall(r'<a href="([^"]+)">(?:Watch|Laps)</a>', html)
    assert links
    for link in links:
        assert as_bob.get(link, follow=True).status_code == 200


def test_a_stranger_gets_404_and_a_run_of_another_race_is_not_a_turn(timed_turn, as_mallory, as_alice, race):
    from races.run_models import Run

    run = Run.objects.get(race=timed_turn)
    assert as_mallory.get(f"/races/{timed_turn.pk}/turns/{run.pk}/").status_code == 404
    assert as_alice.get(f"/races/{race.pk}/turns/{run.pk}/").status_code == 404  # she organizes both
