"""The model garage's tables: a racer's models (`RacerModel`) and their LIVE race entries (`Entry`).

Tables only; uploading, checking and entering models is `races/garage.py`.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.utils import timezone


class RacerModel(models.Model):
    """A model in a racer's garage: an uploaded package or a built-in reference driver."""

    class Kind(models.TextChoices):
        UPLOAD = "upload", "Uploaded package"
        REFERENCE = "reference", "Reference driver"

    class Status(models.TextChoices):
        READY = "ready", "Ready"
        REJECTED = "rejected", "Rejected"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="racer_models")
    name = models.CharField(max_length=64)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.UPLOAD)
    file = models.FileField(max_length=200, blank=True)
    size_bytes = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    metadata = models.JSONField(default=dict, blank=True, help_text="Action space summary, sensors, network.")
    params = models.JSONField(default=dict, blank=True, help_text="Reference driver parameters.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.READY)
    error = models.CharField(max_length=500, blank=True)
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-uploaded_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "name"],
                name="unique_model_name_per_owner",
                violation_error_message="You already have a model with this name.",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_ready(self) -> bool:
        return self.status == self.Status.READY

    @property
    def is_reference(self) -> bool:
        return self.kind == self.Kind.REFERENCE

    @property
    def path(self) -> Path | None:
        """The stored package on disk (uploads only)."""
        return Path(default_storage.path(self.file.name)) if self.file else None

    @property
    def summary(self) -> str:
        """One line about the action space and sensors, for lists."""
        m = self.metadata or {}
        if self.is_reference:
            return "Built-in reference driver" + (f", up to {m['max_speed']:g} m/s" if "max_speed" in m else "")
        parts = []
        kind = m.get("action_space_type")
        if kind == "discrete":
            parts.append(f"discrete, {m.get('actions')} actions")
        elif kind:
            parts.append("continuous")
        speed = m.get("speed")
        if speed:
            parts.append(f"{speed[0]:g}–{speed[1]:g} m/s")
        if m.get("sensors"):
            parts.append(" + ".join(m["sensors"]))
        if m.get("checkpoint"):  # a training folder holds several: say which one races
            parts.append(f"checkpoint {m['checkpoint']}")
        return ", ".join(parts)

    def reject(self, reason: str) -> None:
        """Mark the model unusable (e.g. the live runner could not load it), keeping the reason."""
        self.status = self.Status.REJECTED
        self.error = reason[:500]
        self.save(update_fields=["status", "error"])

    def create_policy(self):
        """The livesim policy that drives this model (loads and checks the package again)."""
        from livesim.policies import create_policy

        if self.is_reference:
            params = dict(self.params or {})
            temperament = params.pop("temperament", None)
            return create_policy(f"reference:{temperament}" if temperament else "reference", **params)
        return create_policy(self.path)

    def delete(self, *args, **kwargs):
        name = self.file.name if self.file else ""
        result = super().delete(*args, **kwargs)
        if name:
            transaction.on_commit(lambda: default_storage.delete(name))
        return result


class Entry(models.Model):
    """A racer's model entered in a LIVE race; entering again replaces it."""

    class Status(models.TextChoices):
        OK = "ok", "Entered"
        FAILED = "failed", "Failed"

    race = models.ForeignKey("races.Race", on_delete=models.CASCADE, related_name="entries")
    participant = models.OneToOneField("races.Participant", on_delete=models.CASCADE, related_name="entry")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="race_entries")
    racer_model = models.ForeignKey(RacerModel, on_delete=models.CASCADE, related_name="entries")
    entered_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.OK)
    failure = models.CharField("failure reason", max_length=500, blank=True)
    # The organizer took the racer out of the LIVE queue (✕): the entry, and so the racer's
    # submission, stays on record; entering again puts the racer back.
    dropped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["entered_at", "pk"]
        verbose_name_plural = "entries"
        constraints = [models.UniqueConstraint(fields=["race", "user"], name="one_entry_per_racer_per_race")]

    def __str__(self) -> str:
        return f"{self.racer_model} in {self.race}"

    def mark_failed(self, reason: str) -> None:
        """The model failed to submit or to load for the race (shown red in the queue)."""
        self.status = self.Status.FAILED
        self.failure = reason[:500]
        self.save(update_fields=["status", "failure"])


def entry_status(participant) -> str:
    """What the racers list, the CSV and the API show as a participant's submission status
    (in person, where nothing is submitted: their timed turns)."""
    if participant.race.is_in_person:
        return _turns_status(participant)
    if not participant.race.is_live:
        return _submissions_status(participant)
    entry = getattr(participant, "entry", None)
    if entry is None:
        return "No model submitted"
    when = timezone.localtime(entry.entered_at, participant.race.tz).strftime("%Y-%m-%d %H:%M %Z")
    text = f"Entered: {entry.racer_model.name} at {when}"
    if entry.status == Entry.Status.FAILED:
        text += f" (failed: {entry.failure})" if entry.failure else " (failed)"
    return text


def _submissions_status(participant) -> str:
    """A Classic race's racer: how many models they submitted, and the latest."""
    from .run_models import Run

    runs = Run.objects.filter(race_id=participant.race_id, racer_id=participant.user_id,
                              source=Run.Source.EVALUATION)
    latest = runs.order_by("-created_at").first()
    if latest is None:
        return "No model submitted"
    count = runs.count()
    when = timezone.localtime(latest.created_at, participant.race.tz).strftime("%Y-%m-%d %H:%M %Z")
    return f"{count} submission{'s' if count != 1 else ''}, the latest {latest.model_name} at {when}"


def _turns_status(participant) -> str:
    """An in-person race's racer: how many turns the timekeeper timed, and the latest."""
    from .run_models import Run

    turns = Run.objects.filter(race_id=participant.race_id, racer_id=participant.user_id)
    latest = turns.order_by("-created_at").first()
    if latest is None:
        return "No turn on the track yet"
    count = turns.count()
    when = timezone.localtime(latest.created_at, participant.race.tz).strftime("%Y-%m-%d %H:%M %Z")
    return f"{count} turn{'s' if count != 1 else ''} timed, the latest at {when}"
