"""A real server (daphne, ASGI) on a free loopback port, and headless Chromium to drive it.

The server runs in its own process against the test database file, so tests that use it are
marked `django_db(transaction=True)`: their writes, the shared scenes of tests/scenes.py
included, must be committed for the server to see them.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from tests.services import CHROMIUM, start_daphne

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]


@pytest.fixture(scope="session")
def server_url(django_db_setup, django_db_blocker):
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.sqlite3":
        pytest.fail("browser tests run on the SQLite pass only")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db['NAME']}", "DEBUG": "1",
           "RACESERVER_NO_BOOTSTRAP": "1", "PYTHONUNBUFFERED": "1"}
    env.pop("REDIS_URL", None)
    log = open(ROOT / "var" / "browser-server.log", "w")  # noqa: SIM115 - closed after the session
    try:
        proc, port = start_daphne(env, log)
    except RuntimeError as exc:
        pytest.fail(str(exc))
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="package")
def chromium():
    """Playwright's sync API keeps an event loop in this thread, which makes Django refuse ORM
    calls from the test body; allowing them is safe here (no coroutine touches the ORM) and is
    limited to the browser package."""
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "1"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def new_page(chromium, server_url):
    """new_page(username) -> a page in its own browser context, logged in as that user."""
    contexts = []

    def open_page(username: str | None = None, password: str | None = None):
        context = chromium.new_context(base_url=server_url, viewport={"width": 1280, "height": 900})
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server_url)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        if username:
            page.goto("/accounts/login/")
            page.fill("input[name=username]", username)
            page.fill("input[name=password]", password or "pw-" + username)
            page.click("button[type=submit]")
            page.wait_for_url(lambda url: "/accounts/login" not in url)
        return page

    yield open_page
    for context in contexts:
        context.close()
