"""The leaderboard panel of the race page: ranks, search, sort, pages, your rank, winner."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from tests.leaderboard.helpers import drive
from tests.scenes import make_user


def page(client, race, **params):
    response = client.get(f"/races/{race.pk}/", params)
    assert response.status_code == 200
    return response


def test_the_board_shows_ranks_gap_and_your_rank(race, joined, bob, charlie, as_bob):
    drive(race, charlie, 10000)
    drive(race, bob, 10500)
    response = page(as_bob, race)
    rows = response.context["board"].rows
    assert [(r["rank"], r["racer"], r["gap"]) for r in rows] == [(1, "CharlieC", "--"), (2, "BobTheRacer", "+00:00.500")]
    html = response.content.decode()
    assert '<tr class="me"><td>2</td><td>BobTheRacer</td><td>00:10.500</td><td>+00:00.500</td>' in html
    assert 'id="board-me-rank">2</strong>' in html and 'id="board-me-gap">+00:00.500</strong>' in html
    assert f'href="/races/{race.pk}/leaderboard.csv"' in html


def test_a_racer_without_a_qualifying_submission_is_told_so(race, joined, bob, as_bob):
    race.min_laps = 2
    race.save()
    drive(race, bob, 10000)
    html = page(as_bob, race).content.decode()
    assert "Not ranked yet" in html and "none of your 1 submission completed 2 consecutive laps" in html


def test_search_and_sort_from_the_query_string(race, joined, as_bob):
    for i, time_ms in enumerate([12000, 11000, 13000]):
        drive(race, make_user(f"u{i}", ["Kim", "Lee", "Kai"][i]), time_ms)
    rows = page(as_bob, race, q="k").context["board"].rows
    assert [(r["rank"], r["racer"]) for r in rows] == [(2, "Kim"), (3, "Kai")]
    rows = page(as_bob, race, sort="racer").context["board"].rows
    assert [r["racer"] for r in rows] == ["Kai", "Kim", "Lee"]


def test_a_bad_sort_shows_the_board_in_rank_order_with_the_reason(race, joined, as_bob):
    response = page(as_bob, race, sort="<script>")
    assert response.context["board"].sort == "rank"
    assert "Unknown sort “&lt;script&gt;”" in response.content.decode()


def test_pages_of_a_large_board(race, joined, as_bob):
    for i in range(55):
        drive(race, make_user(f"u{i}", f"Racer{i:02d}"), 10000 + i)
    board = page(as_bob, race, page=2).context["board"]
    assert board.pages == 2 and [r["rank"] for r in board.rows] == [51, 52, 53, 54, 55]


def test_a_closed_race_shows_final_standings_and_the_winner(race, joined, bob, charlie, as_bob):
    drive(race, bob, 10000)
    drive(race, charlie, 11000)
    race.closed_at = timezone.now() - timedelta(seconds=1)
    race.save()
    html = page(as_bob, race).content.decode()
    assert "Final standings" in html and "Winner: <strong>BobTheRacer</strong>" in html


def test_an_open_live_race_leaves_the_board_to_its_live_view(live_race, as_bob):
    assert 'id="leaderboard"' not in page(as_bob, live_race).content.decode()
    live_race.closed_at = timezone.now()
    live_race.save()
    assert 'id="leaderboard"' in page(as_bob, live_race).content.decode()


def test_strangers_see_nothing(race, bob, as_mallory):
    drive(race, bob, 10000)
    assert as_mallory.get(f"/races/{race.pk}/").status_code == 404
