"""A model package over the upload limit, through the ASGI stack daphne serves (config/limits.py
before Django): the racer gets the upload form back with the file field's error (the API a JSON
error), nothing is saved, and the body is never handed to Django."""

from __future__ import annotations

import asyncio
import json

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from config.handler import get_asgi_application
from config.limits import RequestSizeLimit
from races.garage import RacerModel

from .model_packages import stored_files

pytestmark = pytest.mark.django_db(transaction=True)  # the handler's thread reads committed rows
MB = 1024 * 1024
BOUNDARY = "----racerform"


async def post(path: str, headers: list[tuple[bytes, bytes]], declared: int) -> tuple[dict, bytes, list]:
    """POST `path` declaring a body of `declared` bytes, of which the client has sent one chunk
    so far: the response's start, its body, and the chunks the stack took from the client."""
    asked = []

    async def receive():
        asked.append(1)
        if len(asked) == 1:
            return {"type": "http.request", "body": b"x" * 65536, "more_body": True}
        await asyncio.Event().wait()  # the rest is still on its way

    sent = []

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
             "root_path": "", "server": ("testserver", 80), "client": ("127.0.0.1", 5000),
             "headers": [(b"host", b"testserver"), (b"content-length", str(declared).encode()),
                         (b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode()),
                         *headers]}
    await RequestSizeLimit(get_asgi_application())(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start, body, asked


def over_the_limit(settings) -> int:
    """51 MB against a 50 MB limit (the limit itself scaled down: the bytes are never sent)."""
    settings.MAX_MODEL_UPLOAD_BYTES = 50 * MB
    return 51 * MB + 600  # the file and its multipart framing


async def test_the_upload_page_answers_with_the_form_and_the_fields_error(bob, settings, media_root):
    declared = over_the_limit(settings)
    client = Client()
    await client.aforce_login(bob)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    start, body, asked = await post("/models/", [(b"cookie", cookie.encode())], declared)
    assert start["status"] == 413, (start, body[:300])
    assert dict(start["headers"])[b"Content-Type"].startswith(b"text/html")
    page = body.decode()
    assert 'id="upload"' in page and 'name="file"' in page  # the form, not a text page
    assert "The file is larger than the 50 MB limit for model packages." in page
    assert not await RacerModel.objects.aexists() and stored_files(media_root) == []


async def test_the_api_answers_with_a_json_error(bob, settings, media_root):
    declared = over_the_limit(settings)
    token, _ = await Token.objects.aget_or_create(user=bob)
    start, body, _ = await post("/api/models/", [(b"authorization", f"Token {token.key}".encode())],
                                declared)
    assert start["status"] == 400
    assert json.loads(body) == {"file": ["The file is larger than the 50 MB limit for model packages."]}
    assert not await RacerModel.objects.aexists() and stored_files(media_root) == []


async def test_other_paths_are_still_refused_at_the_edge(settings):
    declared = over_the_limit(settings)
    start, body, asked = await post("/races/new/", [], declared)
    assert start["status"] == 413 and b"Request too large" in body and asked == []
