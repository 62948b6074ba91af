from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('broadcast', '0002_obs_stream_detail'),
    ]

    operations = [
        migrations.AddField(
            model_name='broadcastsettings',
            name='obs_record_detail',
            field=models.CharField(blank=True, editable=False, max_length=300),
        ),
    ]
