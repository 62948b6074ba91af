"""Request size bound at the ASGI edge: daphne reads a whole body before Django sees it, so a
too-large upload is refused here, from its Content-Length, before any of it is read."""

from __future__ import annotations

from django.conf import settings

UPLOAD_OVERHEAD_BYTES = 1024 * 1024  # multipart framing and the other form fields


def max_request_bytes() -> int:
    return max(settings.MAX_MODEL_UPLOAD_BYTES, settings.MAX_IMAGE_UPLOAD_BYTES) + UPLOAD_OVERHEAD_BYTES


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
