"""Laps take DeepRacer's words for their counts; runs hold a lease instead of a pid; a racer
taken out of the LIVE queue keeps their entry."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("races", "0006_run_trace")]

    operations = [
        migrations.RenameField("lap", "off_tracks", "off_track_count"),
        migrations.RenameField("lap", "collisions", "crash_count"),
        migrations.RenameField("lap", "resets", "reset_count"),
        migrations.RenameField("lap", "sector_ms", "sector_times_ms"),
        migrations.RenameField("lap", "source_started", "start_time"),
        migrations.RenameField("lap", "source_ended", "end_time"),
        migrations.AlterField(
            "lap", "start_time",
            models.FloatField(blank=True, null=True, help_text="Source clock (s) at the line."),
        ),
        migrations.AddField(
            "run", "lease_expires_at",
            models.DateTimeField(
                blank=True, null=True,
                help_text="An active run whose lease is past is recovered as aborted: its owner "
                          "stopped renewing it (killed, crashed, or no runner ever claimed it)."),
        ),
        migrations.AlterField(
            "run", "owner",
            models.CharField(blank=True, max_length=120,
                             help_text="The runner process that holds the run's lease."),
        ),
        migrations.AddField("entry", "dropped_at", models.DateTimeField(blank=True, null=True)),
    ]
