"""The Celery app. Scaled mode: `celery -A config worker` with REDIS_URL set."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("raceserver")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
