"""Ranking rules (pure functions), race leaderboards, seasons, leaderboard files."""
