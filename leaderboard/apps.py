from django.apps import AppConfig


class LeaderboardConfig(AppConfig):
    name = "leaderboard"

    def ready(self) -> None:
        # The record announces a committed lap with a signal, so it never imports the
        # leaderboard; the leaderboard answers with the race's new board.
        from races.signals import lap_committed

        from .board import announce_leaderboard

        lap_committed.connect(announce_leaderboard, dispatch_uid="leaderboard.announce")
