"""`readtimer` against real parts: a pseudo-terminal as the serial port, a race server in its own
process (killed and restarted), a WebSocket server playing the DREM timer, a socket.io server
playing the community deepracer-timer. The reader only ever talks to the server's timer API."""

from __future__ import annotations

import argparse
import asyncio
import json
import threading
import time

import pytest
from django.core.management import call_command

from timing import desk
from timing.models import Desk, TimerToken
from timing.reader import build

from .conftest import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def start_reader(race, token, server_url, journal, **source):
    args = argparse.Namespace(race=str(race.pk), serial=None, drem_ws=None, socketio=None, baud=115200,
                              protocol="own", server=server_url, token=token, journal=str(journal),
                              debounce=1.0, sector=[])
    for key, value in source.items():
        setattr(args, key, value)
    reader, src = build(args)
    thread = threading.Thread(target=reader.run, args=(src,), daemon=True)
    thread.start()
    return reader, thread


@pytest.fixture
def stop_readers():
    started = []
    yield started
    for reader, thread in started:
        reader.stop.set()
        thread.join(10)


def laps(race) -> list[int]:
    row = Desk.objects.filter(race=race).first()
    return [lap["time_ms"] for lap in (row.turn or {}).get("laps", [])] if row else []


def timer_said(race) -> dict:
    row = Desk.objects.filter(race=race).first()
    token = TimerToken.objects.get(race=race)
    return (row.readers if row else {}).get(str(token.pk), {})


def test_serial_crossings_debounced_across_strips_survive_a_cable_pulled_mid_lap(
        in_person_race, bob, timer_token, race_server, serial_device, tmp_path, stop_readers):
    desk.act(in_person_race, "start", racer_id=bob.pk)
    stop_readers.append(start_reader(in_person_race, timer_token, race_server.url, tmp_path / "j",
                                     serial=serial_device.path))
    wait_for(lambda: timer_said(in_person_race).get("connected") is True, what="the serial port to open")
    serial_device.write(b"# firmware 1.0 booted\r\n\x00\xffnoise\n")
    # The car crosses: both strips of the 60 cm lane bounce for a millisecond.
    serial_device.write(b"X 17 1000000\nX 18 1000400\nX 17 1000900\nX 18 1001300\n")
    wait_for(lambda: timer_said(in_person_race).get("seq") == 1, what="the first crossing")
    serial_device.unplug()  # the cable is pulled mid-lap
    said = wait_for(lambda: (s := timer_said(in_person_race)).get("connected") is False and s, what="the pulled cable")
    assert "cable pulled" in said["message"]
    serial_device.plug()
    wait_for(lambda: timer_said(in_person_race).get("connected") is True, what="the replugged port")
    serial_device.write(b"X 18 11250000 *" + b"%02X" % _xor(b"X 18 11250000") + b"\n")
    assert wait_for(lambda: laps(in_person_race), what="the lap") == [10_250]


def _xor(data: bytes) -> int:
    value = 0
    for byte in data:
        value ^= byte
    return value


def test_crossings_while_the_server_is_down_wait_on_disk_and_arrive_in_order(
        in_person_race, bob, timer_token, race_server, serial_device, tmp_path, stop_readers):
    desk.act(in_person_race, "start", racer_id=bob.pk)
    reader, _ = start_reader(in_person_race, timer_token, race_server.url, tmp_path / "j", serial=serial_device.path)
    stop_readers.append((reader, _))
    wait_for(lambda: timer_said(in_person_race).get("connected") is True, what="the serial port to open")
    race_server.kill()  # the server (and with it every way to the database) is gone
    serial_device.write(b"X 17 1000000\nX 17 9000000\nX 17 16500000\n")
    wait_for(lambda: len(reader.journal.pending()) == 3, what="three crossings on disk")
    lines = [json.loads(line) for line in reader.journal.path.read_text().splitlines()]
    assert [c["device_us"] for c in lines] == [1_000_000, 9_000_000, 16_500_000]
    race_server.start()
    assert wait_for(lambda: laps(in_person_race), what="the stored laps") == [8_000, 7_500]
    wait_for(lambda: not reader.journal.pending(), what="the journal to drain")


class DremTimer:
    """A WebSocket server playing the DREM Pi timer: it pushes `{"event":"lap",…}` messages."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.clients: set = set()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        self.ready.wait(10)

    def _run(self) -> None:
        from websockets.asyncio.server import serve

        async def handler(ws):
            self.clients.add(ws)
            try:
                await ws.wait_closed()
            finally:
                self.clients.discard(ws)

        async def main():
            self.server = await serve(handler, "127.0.0.1", 0)
            self.port = self.server.sockets[0].getsockname()[1]
            self.ready.set()
            await self.server.wait_closed()

        self.loop.run_until_complete(main())

    def send(self, message: dict) -> None:
        async def broadcast():
            for ws in list(self.clients):
                await ws.send(json.dumps(message))
        asyncio.run_coroutine_threadsafe(broadcast(), self.loop).result(5)

    def close(self) -> None:
        async def shut():
            self.server.close()
        asyncio.run_coroutine_threadsafe(shut(), self.loop).result(5)
        self.thread.join(5)


def test_the_drem_timers_websocket_gives_laps_on_its_own_clock(
        in_person_race, bob, timer_token, race_server, tmp_path, stop_readers):
    timer = DremTimer()
    desk.act(in_person_race, "start", racer_id=bob.pk)
    stop_readers.append(start_reader(in_person_race, timer_token, race_server.url, tmp_path / "j",
                                     drem_ws=f"ws://127.0.0.1:{timer.port}/"))
    wait_for(lambda: timer_said(in_person_race).get("connected") is True and timer.clients, what="the DREM socket")
    timer.send({"event": "lap", "timestamp": 1_700_000_000_000, "gpio": 17, "lapNumber": 1})
    timer.send({"event": "status", "timestamp": 1_700_000_001_000})
    timer.send({"event": "lap", "timestamp": 1_700_000_000_400, "gpio": 27, "lapNumber": 2})  # the other strip
    timer.send({"event": "lap", "timestamp": 1_700_000_009_876, "gpio": 17, "lapNumber": 3})
    assert wait_for(lambda: laps(in_person_race), what="the DREM lap") == [9_876]
    timer.close()
    wait_for(lambda: timer_said(in_person_race).get("connected") is False, what="the lost DREM socket")


class CommunityTimer:
    """A socket.io server playing the community deepracer-timer: `timer` events, `passed`."""

    def __init__(self) -> None:
        import socketio

        self.sio = socketio.AsyncServer(async_mode="aiohttp", ping_interval=1, ping_timeout=1)
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        self.ready.wait(10)

    def _run(self) -> None:
        from aiohttp import web

        async def main():
            app = web.Application()
            self.sio.attach(app)
            self.runner = web.AppRunner(app, shutdown_timeout=1.0)
            await self.runner.setup()
            site = web.TCPSite(self.runner, "127.0.0.1", 0)
            await site.start()
            self.port = site._server.sockets[0].getsockname()[1]
            self.ready.set()

        self.loop.run_until_complete(main())
        self.loop.run_forever()

    def emit(self, value: str) -> None:
        asyncio.run_coroutine_threadsafe(self.sio.emit("timer", value), self.loop).result(5)

    def close(self) -> None:
        async def shut():  # the box loses power: its sockets go first, then its server
            for sid in list(self.sio.eio.sockets):
                await self.sio.eio.disconnect(sid)
            await self.runner.cleanup()
        asyncio.run_coroutine_threadsafe(shut(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def test_the_community_timers_socketio_passed_events_are_crossings(
        in_person_race, bob, timer_token, race_server, tmp_path, stop_readers):
    in_person_race.min_lap_time = 1
    in_person_race.save(update_fields=["min_lap_time"])
    timer = CommunityTimer()
    desk.act(in_person_race, "start", racer_id=bob.pk)
    stop_readers.append(start_reader(in_person_race, timer_token, race_server.url, tmp_path / "j",
                                     socketio=f"http://127.0.0.1:{timer.port}"))
    wait_for(lambda: timer_said(in_person_race).get("connected") is True, what="the socket.io timer")
    timer.emit("passed")
    timer.emit("start")  # a keyboard event of the timer's own page: not a crossing
    time.sleep(1.3)
    timer.emit("passed")
    lap = wait_for(lambda: laps(in_person_race), what="the socket.io lap")
    assert len(lap) == 1 and 1_000 <= lap[0] < 10_000
    timer.close()
    wait_for(lambda: timer_said(in_person_race).get("connected") is False, what="the lost socket.io timer")


def test_readtimer_without_a_token_says_what_is_missing(in_person_race, monkeypatch):
    monkeypatch.delenv("TIMER_TOKEN", raising=False)
    with pytest.raises(SystemExit, match="token"):
        call_command("readtimer", "--race", str(in_person_race.pk), "--serial", "/dev/null")


def test_three_racers_turns_from_real_sensor_lines_make_a_correct_leaderboard(
        in_person_race, bob, charlie, timer_token, race_server, serial_device, tmp_path, stop_readers):
    """The README's race: average of 2 consecutive valid laps, one resets limit, three turns."""
    from leaderboard.board import race_leaderboard
    from races.models import Participant
    from tests.scenes import make_user

    erin = make_user("erin", "ErinE", "IE")
    Participant.objects.create(race=in_person_race, user=erin)
    in_person_race.ranking_method, in_person_race.average_of, in_person_race.max_resets = "average_lap", 2, 1
    in_person_race.save()
    stop_readers.append(start_reader(in_person_race, timer_token, race_server.url, tmp_path / "j",
                                     serial=serial_device.path))
    wait_for(lambda: timer_said(in_person_race).get("connected") is True, what="the serial port to open")
    clock = [50_000_000]  # the firmware's µs clock runs on through the turns

    def turn(racer, lap_times_ms, resets_in_lap=None):
        desk.act(in_person_race, "start", racer_id=racer.pk)
        count = len(lap_times_ms)
        for n, lap_ms in enumerate([30_000, *lap_times_ms]):  # the next car reaches the line
            clock[0] += lap_ms * 1000
            serial_device.write(f"X 17 {clock[0]}\nX 18 {clock[0] + 300}\n".encode())  # both strips
            if resets_in_lap is not None and n == resets_in_lap - 1:
                wait_for(lambda n=n: len(laps(in_person_race)) == n, what="the lap before the resets")
                desk.act(in_person_race, "reset")
                desk.act(in_person_race, "reset")
        wait_for(lambda: len(laps(in_person_race)) == count, what=f"{count} laps of {racer}")
        desk.act(in_person_race, "end")

    turn(bob, [9_000, 9_400, 12_000])  # best average of 2: 9 200
    turn(charlie, [8_000, 8_800, 9_000], resets_in_lap=2)  # lap 2 invalid: 8 800+9 000 don't pair with 8 000
    turn(erin, [10_000, 10_100])  # 10 050
    board = race_leaderboard(in_person_race)
    assert [(row["racer"], row["time_ms"]) for row in board] == [
        ("BobTheRacer", 9_200), ("ErinE", 10_050)]  # charlie's valid laps are not consecutive
