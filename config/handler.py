"""Django's HTTP handler for daphne, with the middleware run as under WSGI: one thread hop per
request instead of about fifteen.

Django's own ASGI handler runs the middleware in async mode, and every built-in middleware
(`MiddlewareMixin`) then hops to a thread and back for each `process_request` and
`process_response` it has (about twelve hops here), WhiteNoise (sync only) hops back to the event
loop, and the view to a thread again: about 0.3 ms of CPU per hop, most of a small API request
(a lap timer's crossing, measured in bench/timing_bench.py). This project has no async views, so
the whole chain (middleware and view) runs in one `sync_to_async` call, in the request's own
thread as before (Django's ThreadSensitiveContext per request), exactly the code path the test
client (and WSGI) runs.
"""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.core.handlers import base
from django.core.handlers.asgi import ASGIHandler


class SyncChainASGIHandler(ASGIHandler):
    def __init__(self):
        base.BaseHandler.__init__(self)
        self.load_middleware(is_async=False)

    async def get_response_async(self, request):
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)


def get_asgi_application() -> SyncChainASGIHandler:
    """`django.core.asgi.get_asgi_application` with this handler."""
    import django

    django.setup(set_prefix=False)
    return SyncChainASGIHandler()
