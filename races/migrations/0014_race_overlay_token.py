from django.db import migrations, models

import races.models


def give_each_race_its_own_token(apps, schema_editor):
    # A callable default is evaluated once for all existing rows: every race gets its own here.
    Race = apps.get_model("races", "Race")
    for race in Race.objects.all().only("pk"):
        Race.objects.filter(pk=race.pk).update(overlay_token=races.models.new_invite_token())


class Migration(migrations.Migration):

    dependencies = [
        ("races", "0013_in_person_options"),
    ]

    operations = [
        migrations.AddField(
            model_name="race",
            name="overlay_token",
            field=models.CharField(default="", editable=False, max_length=64),
        ),
        migrations.RunPython(give_each_race_its_own_token, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="race",
            name="overlay_token",
            field=models.CharField(default=races.models.new_invite_token, editable=False, max_length=64),
        ),
    ]
