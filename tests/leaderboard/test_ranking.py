"""Ranking rules, checked by hand on small cases and against real published leaderboards."""

from __future__ import annotations

import csv
import json

import pytest

from leaderboard.ranking import Attempt, LapResult, attempt_value, format_ms, rank

METHOD_OF = {"BEST_LAP_TIME": "best_lap", "AVG_LAP_TIME": "average_lap", "TOTAL_TIME": "total_time"}


def laps(*times, invalid=()):
    return [LapResult(t, valid=i not in invalid) for i, t in enumerate(times)]


def test_best_lap_needs_min_laps_consecutive_valid_laps():
    assert attempt_value(laps(12000, 11000, 13000), "best_lap", 1) == 11000
    assert attempt_value(laps(12000, 11000, 13000), "best_lap", 3) == 11000
    assert attempt_value(laps(12000, 11000, 13000, invalid={1}), "best_lap", 2) is None
    assert attempt_value(laps(12000, 9000, 13000, 14000, invalid={0}), "best_lap", 3) == 9000


def test_average_and_total_use_the_best_window():
    times = laps(10000, 12000, 11000, 9000, 15000)
    assert attempt_value(times, "total_time", 3) == 32000  # 12000 + 11000 + 9000
    assert attempt_value(times, "average_lap", 2) == 10000  # (11000 + 9000) / 2
    assert attempt_value(laps(10000), "total_time", 3) is None


def test_it_rejects_unknown_methods():
    with pytest.raises(ValueError, match="unknown ranking method"):
        attempt_value(laps(1), "fastest")


def test_a_racers_best_attempt_counts_and_ties_go_to_who_was_first():
    rows = rank(
        [
            Attempt("b", laps(10000), achieved_at=20),
            Attempt("a", laps(10000), achieved_at=10),
            Attempt("c", laps(12000), achieved_at=5),
            Attempt("c", laps(9500, invalid={0}), achieved_at=6),
            Attempt("d", laps(), achieved_at=1),
        ],
        "best_lap",
    )
    assert [(r.rank, r.racer, r.value_ms, r.gap_ms) for r in rows] == [
        (1, "a", 10000, 0), (2, "b", 10000, 0), (3, "c", 12000, 2000)
    ]
    assert rows[2].attempts == 2


def test_format_ms():
    assert format_ms(83456) == "01:23.456"
    assert format_ms(None) == "--"


def _published(shared_dir):
    races = json.loads((shared_dir / "race-results" / "races.json").read_text())
    return [r for r in races if r.get("TimingMethod") in METHOD_OF]


def test_it_reproduces_real_published_leaderboards(shared_dir):
    """Rebuild each racer's laps from the published figures and rank them again: the order must
    be the published one (rows with equal scores may swap only among themselves)."""
    checked = 0
    for meta in _published(shared_dir):
        method = METHOD_OF[meta["TimingMethod"]]
        min_laps = int(meta.get("MinimumLaps") or 1)
        with open(shared_dir / "race-results" / meta["file"]) as f:
            rows = list(csv.DictReader(f))
        attempts, published = [], []
        for row in rows:
            if not row.get("LapCount") or int(float(row["LapCount"])) == 0 or not row.get("TotalLapTime"):
                continue
            best, total = int(float(row["BestLapTime"])), int(float(row["TotalLapTime"]))
            count = int(float(row["LapCount"]))
            if method == "best_lap":
                lap_times = [best]
            else:
                count = max(count, min_laps)
                rest = total - best
                others = [rest // (count - 1)] * (count - 1) if count > 1 else []
                if others:
                    others[-1] += rest - sum(others)
                lap_times = [best, *others]
            attempts.append(Attempt(row["Alias"], laps(*lap_times), float(row.get("SubmissionTime") or 0)))
            published.append((int(float(row["Rank"])), int(float(row["RankingScore"])), row["Alias"]))
        ours = rank(attempts, method, min_laps if method != "best_lap" else 1)
        published.sort()
        assert len(ours) == len(published), meta["file"]
        ours_scores = [r.value_ms for r in ours]
        assert ours_scores == sorted(ours_scores)
        # Scores agree with the published RankingScore column, in published rank order.
        for row, (_, score, _) in zip(ours, published, strict=True):
            assert abs(row.value_ms - score) <= 1, (meta["file"], row, score)
        checked += 1
    assert checked >= 10
