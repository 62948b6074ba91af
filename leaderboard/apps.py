"""Ranking rules (pure functions), race standings and boards, seasons, leaderboard files."""
from django.apps import AppConfig


class LeaderboardConfig(AppConfig):
    name = "leaderboard"

    def ready(self) -> None:
        # The record never imports the leaderboard. A lap's standing is written in the lap's
        # own transaction (post_save of the Lap), so they commit together; once the commit holds
        # the record sends `lap_committed` and the board is announced.
        from django.db.models.signals import post_save

        from races.models import Participant, Race
        from races.run_models import Lap, Run
        from races.signals import lap_committed, laps_saved

        from .board import on_lap_committed, on_participant_saved
        from .standings import on_lap_saved, on_laps_saved, on_race_saved, on_run_saved

        post_save.connect(on_lap_saved, sender=Lap, dispatch_uid="leaderboard.lap_saved")
        post_save.connect(on_run_saved, sender=Run, dispatch_uid="leaderboard.run_saved")
        post_save.connect(on_race_saved, sender=Race, dispatch_uid="leaderboard.race_saved")
        # A racer removed from the race leaves its board; re-admitted, comes back.
        post_save.connect(on_participant_saved, sender=Participant,
                          dispatch_uid="leaderboard.participant_saved")
        laps_saved.connect(on_laps_saved, dispatch_uid="leaderboard.laps_saved")  # several at once
        lap_committed.connect(on_lap_committed, dispatch_uid="leaderboard.lap_committed")
