"""Test-only jobs and a view that dispatches one, importable by a server or a Celery worker
started from the project root (tests/support/jobs_settings.py wires them in).

The jobs report through files in a directory the test owns, which works across threads and
processes alike."""

from __future__ import annotations

import os
import time
from pathlib import Path

from django.db import connections
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from config.jobs import job

GATE_TIMEOUT_S = 60.0


def _write(path: Path, text: str = "") -> None:
    """Whole or not at all: the test may read the file the moment it appears."""
    part = path.with_name(path.name + ".part")
    part.write_text(text)
    os.replace(part, path)


@job
def wait_then_mark(directory: str) -> None:
    """Write `started` (holding this process's id), wait for the test to create `go`, then
    write `done`."""
    folder = Path(directory)
    _write(folder / "started", str(os.getpid()))
    deadline = time.monotonic() + GATE_TIMEOUT_S
    while not (folder / "go").exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"nobody created {folder / 'go'}")
        time.sleep(0.02)
    _write(folder / "done", str(os.getpid()))


@job
def mark(directory: str, name: str) -> None:
    _write(Path(directory) / name, str(os.getpid()))


@job
def fail(message: str) -> None:
    raise RuntimeError(message)


@job
def record_user_seen(directory: str, user_id: int) -> None:
    """Write `seen` or `missing`: whether the user's row is visible to the job."""
    from django.contrib.auth import get_user_model

    seen = get_user_model().objects.filter(pk=user_id).exists()
    _write(Path(directory) / ("seen" if seen else "missing"))


connections_used = []  # the job threads' database connections, for the test to look at after


@job
def use_the_database() -> None:
    wrapper = connections["default"]  # this thread's own, not the proxy every thread shares
    wrapper.ensure_connection()
    connections_used.append(wrapper)


@csrf_exempt
@require_POST
def dispatch_view(request: HttpRequest) -> HttpResponse:
    wait_then_mark.dispatch(request.POST["directory"])
    return HttpResponse("dispatched")


urlpatterns = [path("dispatch/", dispatch_view)]
