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
