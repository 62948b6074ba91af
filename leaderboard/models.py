"""The leaderboard app's tables (Django looks for them here); they live in season_models."""

from .season_models import ImportedResult, LeaderboardImport, Season, SeasonRace  # noqa: F401
from .standing_models import BoardRules, RunResult, Standing  # noqa: E402, F401
