"""The shapes of the leaderboard API's answers (for the OpenAPI schema and the exports)."""

from __future__ import annotations

from rest_framework import serializers


class LeaderboardRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField(help_text="1 is first; ties are broken as the README says.")
    racer = serializers.CharField(help_text="The racer's alias.")
    user_id = serializers.IntegerField()
    time_ms = serializers.IntegerField(help_text="The ranking value (best lap, best average or total) in ms.")
    time = serializers.CharField(help_text="time_ms as mm:ss.fff")
    gap_ms = serializers.IntegerField(help_text="Behind the first, in ms.")
    gap = serializers.CharField()
    laps = serializers.IntegerField(help_text="Laps of the counting submission.")
    off_track_count = serializers.IntegerField()
    crash_count = serializers.IntegerField()
    reset_count = serializers.IntegerField()
    submissions = serializers.IntegerField(help_text="The racer's submissions to this race.")
    run_id = serializers.IntegerField(allow_null=True, help_text="The counting submission.")
    achieved_at = serializers.DateTimeField(allow_null=True, help_text="When the time was reached.")
    watch_url = serializers.CharField(allow_null=True)


class MyStandingSerializer(serializers.Serializer):
    ranked = serializers.BooleanField(help_text="False: no qualifying submission yet.")
    rank = serializers.IntegerField(allow_null=True)
    racer = serializers.CharField()
    submissions = serializers.IntegerField()
    ranked_total = serializers.IntegerField()
    time_ms = serializers.IntegerField(required=False)
    gap_ms = serializers.IntegerField(required=False, help_text="Gap to the fastest, in ms.")


class LeaderboardPageSerializer(serializers.Serializer):
    race = serializers.UUIDField()
    ranking_method = serializers.CharField()
    min_laps = serializers.IntegerField()
    status = serializers.CharField()
    count = serializers.IntegerField(help_text="Rows matching the search.")
    ranked = serializers.IntegerField(help_text="Racers ranked in the race.")
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    size = serializers.IntegerField()
    sort = serializers.CharField()
    q = serializers.CharField()
    winner = LeaderboardRowSerializer(allow_null=True, help_text="A closed race's winner.")
    me = MyStandingSerializer(allow_null=True, help_text="Your own standing, if you submitted.")
    results = LeaderboardRowSerializer(many=True)


class SubmissionLapSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    time_ms = serializers.IntegerField()
    off_track_count = serializers.IntegerField()
    crash_count = serializers.IntegerField()
    reset_count = serializers.IntegerField()
    valid = serializers.BooleanField()
    invalid_reason = serializers.CharField()


class SubmissionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    state = serializers.CharField()
    failure = serializers.CharField()
    model_name = serializers.CharField()
    created_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)
    qualifying = serializers.BooleanField(help_text="Completed the race's minimum consecutive laps.")
    value_ms = serializers.IntegerField(allow_null=True, help_text="Its ranking value, if it qualifies.")
    counts = serializers.BooleanField(help_text="It is the submission your leaderboard row shows.")
    watch_url = serializers.CharField(allow_null=True)
    laps = SubmissionLapSerializer(many=True)


class SubmissionPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    results = SubmissionSerializer(many=True)
