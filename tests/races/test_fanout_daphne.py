"""The fan-out's fast path under daphne (races/fanout.py): each event framed once and written
straight to every socket that has nothing queued. The fakes pin down the ordering rules; the
last test runs a real daphne in scaled mode (Redis pub/sub) with real websocket clients."""

from __future__ import annotations

import collections
import functools
import json
import os
import socket
import time
from pathlib import Path

import pytest
from daphne.server import Server
from daphne.ws_protocol import WebSocketProtocol
from twisted.internet import tcp

from races import fanout, protocol
from tests.services import redis_url, start_daphne, test_database_url

ROOT = Path(__file__).resolve().parents[2]


class FakeTransport:
    """What `send_now` reads of a Twisted TCP transport, and what it does with it."""

    def __init__(self, accepts: int | None = None, queued: bytes = b"", tls: bool = False):
        self.TLS, self.connected, self.disconnecting = tls, 1, 0
        self.dataBuffer, self.offset, self._tempDataBuffer, self._tempDataLen = queued, 0, [], 0
        self.accepts = accepts  # bytes the socket takes now; None = all
        self.on_socket, self.written = [], []
        self.socket = self

    def send(self, data: bytes) -> int:
        if self.accepts == 0:
            raise BlockingIOError
        n = len(data) if self.accepts is None else min(self.accepts, len(data))
        self.on_socket.append(bytes(data[:n]))
        return n

    def write(self, data: bytes) -> None:
        self.written.append(bytes(data))


def test_it_writes_to_the_socket_when_nothing_waits():
    t = FakeTransport()
    fanout.send_now(t, b"frame")
    assert (t.on_socket, t.written) == ([b"frame"], [])


def test_what_the_socket_does_not_take_goes_to_the_transport():
    t = FakeTransport(accepts=2)
    fanout.send_now(t, b"frame")
    assert (t.on_socket, t.written) == ([b"fr"], [b"ame"])


def test_a_full_socket_leaves_it_all_to_the_transport():
    t = FakeTransport(accepts=0)
    fanout.send_now(t, b"frame")
    assert (t.on_socket, t.written) == ([], [b"frame"])


def test_bytes_already_queued_go_first():
    for t in (FakeTransport(queued=b"older"), FakeTransport()):
        t._tempDataBuffer = [b"older"] if not t.dataBuffer else []
        fanout.send_now(t, b"frame")
        assert (t.on_socket, t.written) == ([], [b"frame"])  # behind "older", in the transport


def test_tls_goes_through_the_transport():
    t = FakeTransport(tls=True)
    fanout.send_now(t, b"frame")
    assert (t.on_socket, t.written) == ([], [b"frame"])


def daphne_viewer():
    """A Viewer on a real daphne protocol object over a real Twisted TCP connection."""
    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    transport = tcp.Connection(ours, None)
    transport.connected = 1
    ws = WebSocketProtocol()
    ws.transport, ws.state, ws._perMessageCompress = transport, ws.STATE_OPEN, None
    ws.send_queue = collections.deque()
    send = functools.partial(Server.__new__(Server).handle_reply, ws)
    return fanout.Viewer(send), ws, theirs


def test_daphnes_send_is_recognised_and_frames_go_straight_out():
    viewer, ws, theirs = daphne_viewer()
    assert viewer.socket is ws and viewer.direct  # the installed daphne/Twisted have what it needs
    viewer.pending = None
    message = fanout.Message('{"type": "run.frame"}')
    assert viewer.push(message)
    assert theirs.recv(100) == b"\x81\x15" + message.text.encode()  # FIN + text, 21 bytes, unmasked


def test_a_closed_socket_is_gone_and_a_pending_viewer_waits():
    viewer, ws, _ = daphne_viewer()
    assert not viewer.push(fanout.Message("{}"))  # pending: the hub awaits `write` instead
    viewer.pending = None
    ws.state = ws.STATE_CLOSED
    with pytest.raises(fanout.Gone):
        viewer.push(fanout.Message("{}"))


def test_a_browser_that_stopped_reading_is_dropped(monkeypatch):
    viewer, ws, theirs = daphne_viewer()
    viewer.pending = None
    monkeypatch.setattr(fanout, "MAX_BACKLOG_BYTES", 100)
    ws.transport._tempDataBuffer, ws.transport._tempDataLen = [b"x" * 101], 101  # unsent
    dropped = []
    ws.dropConnection = lambda abort=False: dropped.append(abort)
    with pytest.raises(fanout.Gone):
        viewer.push(fanout.Message("{}"))
    assert dropped == [True]
    ws.transport._tempDataBuffer, ws.transport._tempDataLen = [b"x" * 100], 100  # at the bound
    assert viewer.push(fanout.Message("{}"))


def test_any_other_server_keeps_the_asgi_send():
    async def send(message):
        return None

    viewer = fanout.Viewer(send)
    viewer.pending = None
    assert viewer.socket is None and not viewer.push(fanout.Message("{}"))


# -- a real daphne ------------------------------------------------------------------------------

@pytest.fixture
def daphne_scaled(redis_layers, transactional_db, live_race, charlie_entered, as_alice, as_bob, as_charlie):
    """A daphne in scaled mode serving alice's LIVE race, and the session cookies of alice, bob
    and charlie (organizer first)."""
    cookies = [f"sessionid={client.cookies['sessionid'].value}" for client in (as_alice, as_bob, as_charlie)]
    env = {**os.environ, "DATABASE_URL": test_database_url(), "REDIS_URL": redis_url(),
           "LIVE_RUNNER": "external", "RACESERVER_NO_BOOTSTRAP": "1", "DEBUG": "1"}
    env.pop("CHANNEL_LAYER", None)
    log = open(ROOT / "var" / f"fanout-daphne-{os.getpid()}.log", "w+")  # noqa: SIM115
    proc, port = start_daphne(env, log)
    try:
        yield live_race, port, cookies, log
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


@pytest.mark.redis
def test_every_browser_gets_every_event_in_order_from_a_real_daphne(daphne_scaled):
    from websockets.sync.client import connect

    race, port, cookies, log = daphne_scaled
    url, origin = f"ws://127.0.0.1:{port}/ws/races/{race.pk}/", f"http://127.0.0.1:{port}"
    sockets = [connect(url, additional_headers={"Cookie": c}, origin=origin, open_timeout=10) for c in cookies]
    try:
        snapshots = [json.loads(ws.recv(timeout=10)) for ws in sockets]
        assert [s["type"] for s in snapshots] == ["race.state"] * 3
        assert [s["me"]["is_organizer"] for s in snapshots] == [True, False, False]
        frames = [protocol.event("run.frame", run_id=1, ts=time.time(), frame={"type": "frame", "step": n})
                  for n in range(1, 61)]
        for frame in frames[:30]:
            protocol.send(race.pk, frame)
        texts = [[ws.recv(timeout=10) for _ in range(30)] for ws in sockets]
        assert [json.loads(t) for t in texts[0]] == frames[:30]
        assert texts[0] == texts[1] == texts[2]  # the same bytes for everyone

        sockets.pop().close()  # a browser leaves; the others go on
        for frame in frames[30:]:
            protocol.send(race.pk, frame)
        for ws in sockets:
            assert [json.loads(ws.recv(timeout=10))["frame"]["step"] for _ in range(30)] == list(range(31, 61))
    finally:
        for ws in sockets:
            ws.close()
    log.seek(0)
    assert "Traceback" not in log.read()
