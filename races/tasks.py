"""The races app's background jobs, where the Celery worker looks for them (config/celery.py)."""

from .evaluation import evaluate_submission

__all__ = ["evaluate_submission"]
