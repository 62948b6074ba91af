"""Settings as a track-side laptop gets them (no variables set, as `demo` runs): DEBUG off, so a
404 lists no URL patterns and a 500 shows no settings; plain HTTP works on the LAN (no redirect
to HTTPS, cookies not HTTPS-only); static files are served without collectstatic. With the
production variables of the README, `check --deploy` is clean.

Each case runs Django in a fresh process: settings are read once, from the environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # each case starts Django in a fresh process

ROOT = Path(__file__).resolve().parents[2]
REDIS_PASSWORD = "s3cret-redis-pw"
SETTINGS_VARIABLES = ("DEBUG", "HTTPS", "SITE_URL", "ALLOWED_HOSTS", "SECRET_KEY", "REDIS_URL",
                      "SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER", "DATABASE_URL")

PRELUDE = """
import json, sys, types
import django
django.setup()
from django.conf import settings
from django.test import Client
from django.test.utils import override_settings
from django.urls import include, path
"""


def run_django(tmp_path, code: str, **env: str) -> dict:
    """Run `code` after django.setup() with the laptop's environment plus `env`; its last
    printed line is JSON."""
    clean = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    clean.update(VAR_DIR=str(tmp_path / "var"), RACESERVER_NO_BOOTSTRAP="1",
                 DJANGO_SETTINGS_MODULE="config.settings", **env)
    done = subprocess.run([sys.executable, "-c", PRELUDE + textwrap.dedent(code)], cwd=ROOT, env=clean,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


LAPTOP = """
    urls = types.ModuleType("boom_urls")
    def boom(request):
        raise RuntimeError("boom")
    urls.urlpatterns = [path("boom/", boom), path("", include("config.urls"))]
    sys.modules["boom_urls"] = urls

    def answer(response):
        return {"status": response.status_code, "body": response.content.decode(errors="replace")}

    client = Client(raise_request_exception=False)
    login = client.get("/accounts/login/", HTTP_HOST="localhost")
    with override_settings(ROOT_URLCONF="boom_urls"):
        error = client.get("/boom/", HTTP_HOST="localhost")
    print(json.dumps({
        "debug": settings.DEBUG, "redirect": getattr(settings, "SECURE_SSL_REDIRECT", False),
        "secure_cookie": settings.SESSION_COOKIE_SECURE, "hsts": settings.SECURE_HSTS_SECONDS,
        "404": answer(client.get("/no-such-page/", HTTP_HOST="localhost")), "500": answer(error),
        "login": login.status_code, "csrf_cookie_secure": bool(login.cookies["csrftoken"]["secure"]),
        "css": client.get("/static/races/app.css", HTTP_HOST="localhost").status_code,
    }))
"""


@pytest.fixture(scope="module")
def laptop(tmp_path_factory) -> dict:
    """What a laptop without any variable answers (with a Redis password in REDIS_URL)."""
    return run_django(tmp_path_factory.mktemp("laptop"), LAPTOP,
                      REDIS_URL=f"redis://:{REDIS_PASSWORD}@127.0.0.1:6379/0")


def test_it_works(laptop):
    assert (laptop["debug"], laptop["redirect"], laptop["secure_cookie"], laptop["hsts"]) == (False, False, False, 0)


def test_it_lists_no_url_patterns_on_a_404(laptop):
    assert laptop["404"]["status"] == 404
    assert "Not found" in laptop["404"]["body"]
    for leak in ("URLconf", "admin/", "api/schema/", "no-such-page"):
        assert leak not in laptop["404"]["body"]


def test_it_shows_no_settings_on_a_500(laptop):
    assert laptop["500"]["status"] == 500
    assert "Something went wrong" in laptop["500"]["body"]
    for leak in (REDIS_PASSWORD, "REDIS_URL", "SECRET_KEY", "Traceback", "RuntimeError", "boom"):
        assert leak not in laptop["500"]["body"]


def test_it_serves_plain_http_and_static_files_with_debug_off(laptop):
    assert (laptop["login"], laptop["csrf_cookie_secure"], laptop["css"]) == (200, False, 200)


def test_it_turns_debug_on_only_when_asked_and_hides_the_redis_password_then_too(tmp_path):
    got = run_django(tmp_path, """
        from django.views.debug import get_default_exception_reporter_filter
        shown = str(get_default_exception_reporter_filter().get_safe_settings())
        print(json.dumps({"debug": settings.DEBUG, "shown": shown}))
    """, DEBUG="1", REDIS_URL=f"redis://:{REDIS_PASSWORD}@127.0.0.1:6379/0")
    assert got["debug"] is True
    assert "REDIS_URL" in got["shown"] and REDIS_PASSWORD not in got["shown"]


@pytest.mark.parametrize("https", [{"HTTPS": "1"}, {"SITE_URL": "https://races.example.org"}])
def test_it_passes_check_deploy_with_the_production_variables(tmp_path, https):
    clean = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    clean.update(VAR_DIR=str(tmp_path / "var"), RACESERVER_NO_BOOTSTRAP="1",
                 SECRET_KEY="x7!" * 20 + "production-secret-key", ALLOWED_HOSTS="races.example.org", **https)
    done = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                          cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout
