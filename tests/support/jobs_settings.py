"""The project's settings plus the test jobs of tests/support/jobs.py: its URL and, for a Celery
worker, the module to import and a queue of this test run's own (TEST_JOBS_QUEUE), so test runs
sharing one Redis never take each other's jobs."""

import os

from config.settings import *  # noqa: F403

ROOT_URLCONF = "tests.support.jobs"
CELERY_IMPORTS = ["tests.support.jobs"]
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("TEST_JOBS_QUEUE", "test-jobs")
