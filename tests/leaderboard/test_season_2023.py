"""The 2023 season (the eight monthly qualifiers, time trials ranked by total time of 3 laps):
standings by both rules, checked against racers computed by hand from the files."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
from django.contrib.auth import get_user_model

from .history import import_race, metadata, run

SEASON = "2023 Virtual Season"
QUALIFIERS = [m for m in metadata() if m["file"].startswith("2023-")]


@pytest.fixture
def season(db):
    get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    assert len(QUALIFIERS) == 8
    for meta in QUALIFIERS:
        import_race(meta, "--season", SEASON)
    return SEASON


def standings(rule: str) -> dict[str, dict]:
    rows = json.loads(run("season_standings", SEASON, "--rule", rule, "--json"))
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    return {r["racer"]: r for r in rows}


@pytest.mark.slow
def test_2023_standings_by_both_rules(season):
    points = standings("points")
    # 16,997 different racers were ranked in at least one of the eight races.
    assert len(points) == 16997

    # racer-2251b6a694 (RankingScore column, Mar..Oct): ranks 2, 1, 1, 1, 1, 1, 1, 1
    #   points = 9 + 7 * 10 = 79
    assert points["racer-2251b6a694"] == {"rank": 1, "racer": "racer-2251b6a694", "points": 79, "races": 8}
    # racer-f755add8fe: ranks 1, 2, 2, 2, 2, 2, 2, 2 -> 10 + 7 * 9 = 73
    assert points["racer-f755add8fe"]["points"] == 73
    assert points["racer-f755add8fe"]["rank"] == 2
    # racer-045b0ae328: ranks 14, 9, 27, 3, 5, 7, 6, 6
    #   -> 1 + 2 + 1 + 8 + 6 + 4 + 5 + 5 = 32
    assert points["racer-045b0ae328"]["points"] == 32
    # racer-31668b7748 raced only in March, 3rd: 8 points, one race
    assert points["racer-31668b7748"]["points"] == 8
    assert points["racer-31668b7748"]["races"] == 1

    community = standings("community")
    assert set(community) == set(points)
    # racer-2251b6a694 ranked in all eight: -(54258 + 55522 + 60526 + 51929 + 53915 + 68587
    #   + 51977 + 54447) = -451161
    assert community["racer-2251b6a694"]["points"] == -451161
    assert community["racer-2251b6a694"]["rank"] == 1
    # racer-f755add8fe: -(54195 + 56259 + 60787 + 52526 + 54924 + 69919 + 52791 + 54987) = -456388
    assert community["racer-f755add8fe"]["points"] == -456388
    assert community["racer-f755add8fe"]["rank"] == 2
    # racer-31668b7748: March 55047 ms, absent from the other seven, each scored at minus the
    # mean RankingScore of that race (sum of the column / rows, from the files):
    #   Apr 407715568 / 1743, May 579159444 / 2451, Jun 665991740 / 2762,
    #   Jul 635648585 / 2578, Aug 771052073 / 2770, Sep 764771187 / 3368, Oct 633715548 / 2700
    #   = 233915.9885 + 236295.1628 + 241126.6256 + 246566.5574 + 278358.1491 + 227069.8299
    #     + 234709.4622 = 1698041.7755;  total = -(55047 + 1698041.7755) = -1753088.776
    expected = -(55047 + Fraction(407715568, 1743) + Fraction(579159444, 2451)
                 + Fraction(665991740, 2762) + Fraction(635648585, 2578)
                 + Fraction(771052073, 2770) + Fraction(764771187, 3368)
                 + Fraction(633715548, 2700))
    assert community["racer-31668b7748"]["points"] == round(float(expected), 3) == -1753088.776
    assert community["racer-31668b7748"]["races"] == 1
    # one fast race does not beat eight steady ones under the community rule
    assert community["racer-31668b7748"]["rank"] > community["racer-045b0ae328"]["rank"]
