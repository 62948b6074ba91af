"""The standings rules (leaderboard.seasons) on small seasons written out by hand."""

from __future__ import annotations

import pytest

from leaderboard.seasons import COMMUNITY, POINTS, RaceResult, league_points, standings


def race(*results: tuple) -> list[RaceResult]:
    """(key, score or None, country) in finishing order."""
    return [RaceResult(key, key, country, score, rank)
            for rank, (key, score, country) in enumerate(results, start=1)]


def table(rows) -> list[tuple]:
    return [(s.rank, s.racer_key, s.points, s.races) for s in rows]


def test_league_points_run_from_ten_down_to_one_for_taking_part():
    assert [league_points(p) for p in range(1, 13)] == [10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 1, 1]
    with pytest.raises(ValueError):
        league_points(0)


def test_a_do_not_finish_row_earns_no_points_and_no_community_score():
    one = race(("ann", 1000, "DE"), ("bea", 2000, "FR"), ("cy", None, "DE"))
    assert table(standings([one], POINTS)) == [(1, "ann", 10, 1), (2, "bea", 9, 1)]
    # cy never ranked: not a season racer at all
    assert [s.racer_key for s in standings([one], COMMUNITY)] == ["ann", "bea"]


def test_an_absent_racer_scores_minus_the_mean_of_the_race():
    first = race(("ann", 1000, ""), ("bea", 3000, ""))  # mean 2000
    second = race(("bea", 1000, ""), ("cy", 2000, ""))  # mean 1500
    # ann: -1000 - 1500 = -2500; bea: -3000 - 1000 = -4000; cy: -2000 (absent) - 2000 = -4000
    # bea and cy tie on -4000: bea ranked in two races, cy in one
    assert table(standings([first, second], COMMUNITY)) == [
        (1, "ann", -2500.0, 1), (2, "bea", -4000.0, 2), (3, "cy", -4000.0, 1)]


def test_equal_points_go_to_the_better_finishes_then_the_name():
    first = race(("ann", 1, ""), ("bea", 2, ""), ("cy", 3, ""))
    second = race(("cy", 1, ""), ("bea", 2, ""), ("ann", 3, ""))
    # ann 10 + 8 = 18 with places [1, 3]; bea 9 + 9 = 18 with [2, 2]; cy 8 + 10 = 18 with [1, 3]
    # ann and cy have the better best finish; between them the name decides
    assert table(standings([first, second], POINTS)) == [
        (1, "ann", 18, 2), (2, "cy", 18, 2), (3, "bea", 18, 2)]


def test_a_region_ranks_racers_among_their_region():
    first = race(("ann", 1000, "FR"), ("bea", 2000, "DE"), ("cy", 3000, "DE"), ("dan", 9000, "DE"))
    second = race(("ann", 1000, "FR"), ("dan", 1500, "DE"))
    # among DE racers: race 1 bea 1st, cy 2nd, dan 3rd; race 2 dan 1st
    assert table(standings([first, second], POINTS, region="de")) == [
        (1, "dan", 18, 2), (2, "bea", 10, 1), (3, "cy", 9, 1)]
    # community, DE means: race 1 (2000 + 3000 + 9000) / 3, race 2 1500
    ranked = {s.racer_key: s.points for s in standings([first, second], COMMUNITY, region="DE")}
    assert ranked == {"bea": -3500.0, "cy": -4500.0, "dan": -10500.0}


def test_an_unknown_rule_is_refused():
    with pytest.raises(ValueError, match="unknown rule"):
        standings([], "fastest")
