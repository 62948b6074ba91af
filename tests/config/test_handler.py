"""The HTTP handler under daphne runs the middleware and the view as under WSGI: in one thread
hop per request, not one per middleware hook."""

from __future__ import annotations

import pytest
from asgiref.sync import SyncToAsync
from channels.testing import HttpCommunicator

from config.handler import SyncChainASGIHandler


@pytest.mark.django_db(transaction=True)
async def test_a_request_goes_through_every_middleware_in_one_thread_hop(monkeypatch):
    hops = []
    real_call = SyncToAsync.__call__

    async def counted(self, *args, **kwargs):
        hops.append(getattr(self.func, "__qualname__", repr(self.func)))
        return await real_call(self, *args, **kwargs)

    monkeypatch.setattr(SyncToAsync, "__call__", counted)
    response = await HttpCommunicator(SyncChainASGIHandler(), "GET", "/no-such-page/",
                                      headers=[(b"host", b"127.0.0.1")]).get_response(timeout=10)
    assert response["status"] == 404  # through the URL resolver
    headers = dict(response["headers"])
    assert headers[b"X-Frame-Options"] == b"DENY"  # the middleware ran, in and out
    assert headers[b"X-Content-Type-Options"] == b"nosniff"
    # Django's request_started signal, the whole chain, the response's close: Django's own
    # ASGI handler made about seventeen (every middleware's process_request and
    # process_response in a thread of its own).
    assert "BaseHandler.get_response" in hops and len(hops) <= 3, hops
