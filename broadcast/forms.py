"""The Broadcast page's form: race moments to OBS scenes, recording, manual control, commentators."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model

from races.models import Race

from .models import BroadcastSettings

NOTE_MAX = 200


class BroadcastSettingsForm(forms.ModelForm):
    class Meta:
        model = BroadcastSettings
        fields = ["intro_scene", "race_scene", "leaderboard_scene", "winner_scene", "idle_after_s",
                  "record_turns", "automation_paused", "commentators"]
        widgets = {"commentators": forms.CheckboxSelectMultiple}

    def __init__(self, *args, race: Race, **kwargs):
        super().__init__(*args, **kwargs)
        # commentators come from the people who can see the race: its racers (not removed)
        ids = race.participants.active().values_list("user_id", flat=True)
        users = get_user_model().objects.filter(pk__in=ids).select_related("racer")
        self.fields["commentators"].queryset = users
        self.fields["commentators"].label_from_instance = lambda u: getattr(getattr(u, "racer", None), "alias", u.username)
        self.fields["commentators"].required = False
        # the organizer's notes on each racer, for the commentators' "next racers"
        notes = self.instance.racer_notes or {}
        self.note_fields = {}
        for user in users:
            name = f"note_{user.pk}"
            alias = getattr(getattr(user, "racer", None), "alias", user.username)
            self.fields[name] = forms.CharField(label=f"Note on {alias}", max_length=NOTE_MAX, required=False,
                                                initial=notes.get(str(user.pk), ""))
            self.note_fields[name] = str(user.pk)

    def save(self, commit=True):
        self.instance.racer_notes = {uid: self.cleaned_data[name].strip()
                                     for name, uid in self.note_fields.items() if self.cleaned_data.get(name, "").strip()}
        return super().save(commit)

    def clean(self):
        data = super().clean()
        scenes = [data.get(f) for f in ("intro_scene", "race_scene", "leaderboard_scene", "winner_scene")]
        for name in scenes:
            if name is not None and not name.strip():
                raise forms.ValidationError("Give every moment a scene name.")
        return data
