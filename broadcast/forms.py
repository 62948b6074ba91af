"""The Broadcast page's form: race moments to OBS scenes, recording, manual control, commentators."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q

from races.models import Race
from timing import roles

from .models import BroadcastSettings

NOTE_MAX = 200


def _alias(user) -> str:
    return getattr(getattr(user, "racer", None), "alias", user.username)


class BroadcastSettingsForm(forms.ModelForm):
    # The race's commentators are its RaceStaff(role="commentator") rows, the same the Trackside
    # setup lists: ticked here, invited there, one grant (timing.roles).
    commentators = forms.ModelMultipleChoiceField(queryset=None, required=False,
                                                  widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = BroadcastSettings
        fields = ["intro_scene", "race_scene", "leaderboard_scene", "winner_scene", "idle_after_s",
                  "record_turns", "automation_paused"]

    def __init__(self, *args, race: Race, **kwargs):
        super().__init__(*args, **kwargs)
        self.race = race
        # to choose from: the race's racers (not removed) and whoever already commentates (maybe
        # invited on the Trackside setup without a place in the race, who can be unticked here)
        ids = race.participants.active().values_list("user_id", flat=True)
        current = roles.commentators(race)
        choices = get_user_model().objects.filter(Q(pk__in=ids) | Q(pk__in=current.values("pk")))
        self.fields["commentators"].queryset = choices.select_related("racer").order_by("pk")
        self.fields["commentators"].label_from_instance = _alias
        self.fields["commentators"].initial = list(current.values_list("pk", flat=True))
        users = get_user_model().objects.filter(pk__in=ids).select_related("racer")
        # the organizer's notes on each racer, for the commentators' "next racers"
        notes = self.instance.racer_notes or {}
        self.note_fields = {}
        for user in users:
            name = f"note_{user.pk}"
            alias = _alias(user)
            self.fields[name] = forms.CharField(label=f"Note on {alias}", max_length=NOTE_MAX, required=False,
                                                initial=notes.get(str(user.pk), ""))
            self.note_fields[name] = str(user.pk)

    def save(self, commit=True):
        self.instance.racer_notes = {uid: self.cleaned_data[name].strip()
                                     for name, uid in self.note_fields.items() if self.cleaned_data.get(name, "").strip()}
        saved = super().save(commit)
        if commit:
            roles.set_commentators(self.race, [user.pk for user in self.cleaned_data["commentators"]])
        return saved

    def clean(self):
        data = super().clean()
        scenes = [data.get(f) for f in ("intro_scene", "race_scene", "leaderboard_scene", "winner_scene")]
        for name in scenes:
            if name is not None and not name.strip():
                raise forms.ValidationError("Give every moment a scene name.")
        return data
