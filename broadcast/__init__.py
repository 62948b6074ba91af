"""Overlays for OBS browser sources, broadcast mode, commentator view, OBS control."""
