"""Commentator is one grant: RaceStaff(role="commentator") of the timing app. The Broadcast page's
own list (BroadcastSettings.commentators) is copied into it, then dropped. Going back copies the
race staff's commentators into the list again."""

from django.conf import settings
from django.db import migrations, models

COMMENTATOR = "commentator"


def copy_commentators_to_staff(apps, schema_editor) -> None:
    Through = apps.get_model("broadcast", "BroadcastSettings").commentators.through
    RaceStaff = apps.get_model("timing", "RaceStaff")
    rows = Through.objects.values_list("broadcastsettings_id", "user_id")  # settings' pk is the race's
    RaceStaff.objects.bulk_create([RaceStaff(race_id=race_id, user_id=user_id, role=COMMENTATOR)
                                   for race_id, user_id in rows], ignore_conflicts=True)


def copy_staff_to_commentators(apps, schema_editor) -> None:
    BroadcastSettings = apps.get_model("broadcast", "BroadcastSettings")
    RaceStaff = apps.get_model("timing", "RaceStaff")
    for race_id, user_id in RaceStaff.objects.filter(role=COMMENTATOR).values_list("race_id", "user_id"):
        BroadcastSettings.objects.get_or_create(race_id=race_id)[0].commentators.add(user_id)


class Migration(migrations.Migration):

    dependencies = [
        ('broadcast', '0003_obs_record_detail'),
        ('timing', '0001_staff_timer_tokens_desk'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(copy_commentators_to_staff, copy_staff_to_commentators),
        migrations.RemoveField(
            model_name='broadcastsettings',
            name='commentators',
        ),
    ]
