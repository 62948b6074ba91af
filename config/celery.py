"""The Celery app: it carries the background jobs of config/jobs.py in scaled mode (JOBS=celery),
run by `celery -A config worker` with REDIS_URL set. The worker finds the jobs in the `tasks`
module of each installed app."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("raceserver")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
