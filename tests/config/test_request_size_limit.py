"""Too-large requests are refused at the ASGI edge before their body is read."""

from __future__ import annotations

from config.limits import RequestSizeLimit, max_request_bytes


async def call(scope, chunks):
    sent, app_saw = [], []

    async def app(scope, receive, send):
        while True:
            message = await receive()
            app_saw.append(message["type"])
            if message["type"] == "http.disconnect" or not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})

    queue = list(chunks)

    async def receive():
        return queue.pop(0)

    async def send(message):
        sent.append(message)

    await RequestSizeLimit(app)(scope, receive, send)
    return sent, app_saw


async def test_it_refuses_a_declared_oversize_body_unread():
    scope = {"type": "http", "headers": [(b"content-length", str(max_request_bytes() + 1).encode())]}
    sent, app_saw = await call(scope, [])
    assert sent[0]["status"] == 413 and b"too large" in sent[1]["body"]
    assert app_saw == []  # the app never ran


async def test_it_cuts_an_undeclared_oversize_body():
    half = max_request_bytes() // 2 + 1
    chunks = [{"type": "http.request", "body": b"x" * half, "more_body": True}] * 3
    _, app_saw = await call({"type": "http", "headers": []}, chunks)
    assert app_saw == ["http.request", "http.disconnect"]


async def test_it_passes_normal_requests():
    scope = {"type": "http", "headers": [(b"content-length", b"5")]}
    sent, app_saw = await call(scope, [{"type": "http.request", "body": b"hello"}])
    assert app_saw == ["http.request"] and sent[0]["status"] == 200


async def test_a_view_that_refuses_oversize_bodies_itself_gets_the_request_without_its_body():
    """The model upload page answers with its form and the field's error (races/garage_views.py):
    it gets the request, with an empty body; the client's bytes are dropped as they come."""
    scope = {"type": "http", "path": "/models/",
             "headers": [(b"content-length", str(max_request_bytes() + 1).encode())]}
    got = []

    async def app(scope, receive, send):
        got.append(await receive())
        got.append(await receive())  # what follows the body: only the disconnect
        await send({"type": "http.response.start", "status": 413, "headers": []})

    chunks = [{"type": "http.request", "body": b"x" * 65536, "more_body": True}] * 3
    queue = [*chunks, {"type": "http.disconnect"}]

    async def receive():
        return queue.pop(0)

    async def send(message):
        pass

    await RequestSizeLimit(app)(scope, receive, send)
    assert got == [{"type": "http.request", "body": b"", "more_body": False}, {"type": "http.disconnect"}]
