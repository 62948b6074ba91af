"""An imported race's leaderboard: the rows of its published file, marked imported.

The race leaderboard (board.py, its page, API and live board) asks `imported_leaderboard(race)`
first and falls back to the laps' board when it answers None. This module imports nothing of
board.py or importer.py, so board.py may import it.
"""

from __future__ import annotations

from races.models import Race

from .ranking import format_ms
from .season_models import ImportedResult, LeaderboardImport


def is_imported(race: Race) -> bool:
    return LeaderboardImport.objects.filter(race=race).exists()


def imported_leaderboard(race: Race) -> list[dict] | None:
    """An imported race's leaderboard in the row shape of `board.race_leaderboard` (plus
    `imported: True` and the file's figures), or None for a race whose results are its laps.

    For the leaderboard page / API / live board: `imported_leaderboard(race)` first, and the
    laps' board only when it answers None."""
    if not is_imported(race):
        return None
    rows = list(ImportedResult.objects.filter(race=race).order_by("rank"))
    leader = next((r.ranking_score for r in rows if r.finished), None)
    return [
        {
            "rank": r.rank, "racer": r.alias, "user_id": None, "racer_key": r.racer_key,
            "country": r.country, "time_ms": r.ranking_score, "time": format_ms(r.ranking_score),
            "gap_ms": None if not r.finished else r.ranking_score - leader,
            "gap": "DNF" if not r.finished else (
                "--" if r.ranking_score == leader else "+" + format_ms(r.ranking_score - leader)),
            "off_track_count": r.off_track_count, "crash_count": r.collision_count,
            "reset_count": r.reset_count, "submissions": r.submission_count,
            "lap_count": r.lap_count, "finished": r.finished, "published_rank": r.published_rank,
            "imported": True,
        }
        for r in rows
    ]
