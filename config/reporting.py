"""What a debug error page may show of the settings (only with DEBUG=1, which nobody should
run where others can reach it; this is the second line of defence)."""

from __future__ import annotations

import re

from django.views.debug import SafeExceptionReporterFilter


class SettingsFilter(SafeExceptionReporterFilter):
    """Django's filter, plus every setting that may hold a URL with a password in it
    (REDIS_URL, CELERY_BROKER_URL, CHANNEL_LAYERS, DATABASE_URL-derived ones)."""

    hidden_settings = re.compile(
        "API|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|URL|BROKER|LAYERS|DATABASE", flags=re.I
    )
