"""A race's broadcast: which OBS scene each moment of the race shows, the producer's switches,
the organizer's notes on the racers for the commentators, and the OBS connection as
`obs_control` last reported it. The commentators themselves are race staff
(timing.models.RaceStaff, role "commentator"; timing.roles).

Tables only. The overlay key itself is the race's (`Race.overlay_token`): it is part of the one
access rule (races/access.py).
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from races.models import Race

SCENE_NAME_HELP = "The OBS scene's name, exactly as in OBS."


class BroadcastSettings(models.Model):
    class Connection(models.TextChoices):
        OFFLINE = "offline", "Not connected"
        CONNECTING = "connecting", "Connecting"
        CONNECTED = "connected", "Connected"

    race = models.OneToOneField(Race, on_delete=models.CASCADE, primary_key=True,
                                related_name="broadcast_settings")
    # race moment -> scene (broadcast.automation.MOMENTS)
    intro_scene = models.CharField("idle → scene", max_length=100, default="Intro", help_text=SCENE_NAME_HELP)
    race_scene = models.CharField("countdown → scene", max_length=100, default="Race", help_text=SCENE_NAME_HELP)
    leaderboard_scene = models.CharField("run ended → scene", max_length=100, default="Leaderboard",
                                         help_text=SCENE_NAME_HELP)
    winner_scene = models.CharField("winner declared → scene", max_length=100, default="Winner",
                                    help_text=SCENE_NAME_HELP)
    idle_after_s = models.PositiveSmallIntegerField(
        "back to the intro after (s)", default=60, validators=[MinValueValidator(5), MaxValueValidator(3600)],
        help_text="After a run ended and no racer is launched for this long, the idle scene is shown.")
    record_turns = models.BooleanField("record each racer's turn", default=True)
    automation_paused = models.BooleanField(
        "manual control", default=False,
        help_text="While on, race events switch no scene and start no recording: the producer drives OBS.")
    racer_notes = models.JSONField(default=dict, blank=True,
                                   help_text="{user id: the organizer's note for the commentators}")
    # what obs_control last reported
    obs_state = models.CharField(max_length=12, choices=Connection.choices, default=Connection.OFFLINE,
                                 editable=False)
    obs_detail = models.CharField(max_length=300, blank=True, editable=False)
    obs_scene = models.CharField(max_length=100, blank=True, editable=False)
    obs_streaming = models.BooleanField(default=False, editable=False)
    obs_recording = models.BooleanField(default=False, editable=False)
    # what became of the producer's last Start / Stop streaming (OBS's answer comes after the click)
    obs_stream_detail = models.CharField(max_length=300, blank=True, editable=False)
    # what became of the last turn's recording ("record each racer's turn"): a recording OBS did
    # not make (no recording output, a bad folder, a full disk) is said, never silently skipped
    obs_record_detail = models.CharField(max_length=300, blank=True, editable=False)
    obs_seen_at = models.DateTimeField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"broadcast of {self.race}"

    @classmethod
    def of(cls, race: Race) -> BroadcastSettings:
        found, _ = cls.objects.get_or_create(race=race)
        return found

    def scenes(self) -> dict[str, str]:
        """{moment: scene name} for broadcast.automation."""
        return {"idle": self.intro_scene, "countdown": self.race_scene,
                "ended": self.leaderboard_scene, "winner": self.winner_scene}
