"""Races, invitations, participants, racer profiles, the model garage and the Run / Lap record."""
