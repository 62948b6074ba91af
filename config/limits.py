"""Request size bound at the ASGI edge: a too-large body is never handed to Django (which would
spool all of it to a temporary file before any view ran), judged by its Content-Length.

Most paths get a bare 413. A view that refuses an oversize body itself, from the declared length
and without reading the body, with the message its users need (the model upload form's field
error, the API's JSON error), is marked `refuses_oversize_body`; such a request goes on to Django
with an empty body, so the racer gets the form back with the error instead of a text page."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from django.conf import settings
from django.urls import Resolver404, resolve

UPLOAD_OVERHEAD_BYTES = 1024 * 1024  # multipart framing and the other form fields


def max_request_bytes() -> int:
    return max(settings.MAX_MODEL_UPLOAD_BYTES, settings.MAX_IMAGE_UPLOAD_BYTES) + UPLOAD_OVERHEAD_BYTES


def refuses_oversize_body(view):
    """Mark a view (function or class) that answers an oversize declared body itself, unread."""
    view.refuses_oversize_body = True
    return view


def _view_refuses(path: str) -> bool:
    try:
        func = resolve(path).func
    except Resolver404:
        return False
    owner = getattr(func, "cls", None) or getattr(func, "view_class", None)  # DRF / Django classes
    return bool(getattr(func, "refuses_oversize_body", False) or getattr(owner, "refuses_oversize_body", False))


def _without_body(receive: Callable[[], Awaitable[dict]]) -> Callable[[], Awaitable[dict]]:
    """An ASGI receive whose request has no body: the client's bytes are dropped as they come,
    never kept, and only what is not body (the disconnect) is passed on."""
    started = False

    async def empty() -> dict:
        nonlocal started
        if not started:
            started = True
            return {"type": "http.request", "body": b"", "more_body": False}
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return message

    return empty


class RequestSizeLimit:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = max_request_bytes()
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            if _view_refuses(scope.get("path", "")):
                return await self.app(scope, _without_body(receive), send)
            body = f"Request too large: the limit is {limit // (1024 * 1024)} MB.".encode()
            await send({"type": "http.response.start", "status": 413,
                        "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                    (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return None
        received = 0

        async def bounded_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:  # a body without (or lying about) its length
                    return {"type": "http.disconnect"}
            return message

        return await self.app(scope, bounded_receive, send)
