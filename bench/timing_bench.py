"""Trackside timing, end to end: a crossing written into the serial device → the lap on a
timekeeper's websocket; and a burst of bounces on the two strips of one line.

    python3 bench/timing_bench.py [--laps 200] [--database-url URL]

What it does, all on 127.0.0.1 and all by itself (every process it starts is killed at the end):

1. a fresh SQLite database in a temporary folder (or ``--database-url``), migrated; with the ORM
   an in-person race, its organizer (who is the timekeeper here), a racer, a timer token and a
   login session; the racer's turn is started on the timekeeper's desk;
2. starts ``daphne`` (one server, the in-memory channel layer: the one-laptop setup at a track)
   and ``manage.py readtimer --serial <pty> --protocol own`` against a pseudo-terminal;
3. opens the timekeeper websocket ``/ws/races/<id>/timekeeper/`` as the timekeeper;
4. ``--laps`` times: writes one crossing line (our format, device clock 3.5 s later than the one
   before) into the pty and waits for the ``timekeeper.state`` that shows the new lap;
   latency = websocket receipt − the write, one clock. Every 20 laps the turn ends (its laps go
   on record) and the next one starts, as at an event; the CPU the server and the reader spend
   per lap is measured too (what the path costs whatever else the machine is doing). Then the
   same number of crossings is POSTed straight to the timer API, without the reader (the
   server's share);
5. the burst: 100 signals alternating between sensors 17 and 18 within 50 ms of device time
   (0.5 ms apart) written at once; counts the ``timer.crossing`` events that reach the websocket
   in the next 1.5 s (one window across both strips: exactly one);
6. pulls the cable (closes the pty) and times until the websocket shows the timer down.

The peer is DREM (the community's AWS timing system): its overlays publish the race state every
2 s (so a lap reaches the screen 0–2000 ms after the crossing, about 1000 ms on average), and it
debounces each sensor on its own (two strips of one lane: two crossings per car, issue #252).

Prints a table side by side with DREM and, as its last line, one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import pty
import sys
import tempfile
import time
import tty
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if __name__ == "__main__":  # run inside the project's environment (.venv, as manage.py makes it)
    sys.path.insert(0, str(ROOT))
    from manage import bootstrap

    bootstrap(Path(__file__).resolve())
from fleet import PY, Fleet, free_port, percentile, wait_port  # noqa: E402 (after the bootstrap)

TARGET_P99_MS = 20.0
DREM = {"crossing_to_ws_p50_ms": 1000.0, "crossing_to_ws_p99_ms": 2000.0, "burst_crossings": 2}
LAP_US = 3_500_000  # device time between crossings: above the 3 s minimum lap
TURN_LAPS = 20  # laps per racer's turn (a 3–4 minute turn of 10 s laps); the turn then ends and a new one starts


def setup_django(database_url: str):
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.pop("REDIS_URL", None)
    os.environ["RACESERVER_NO_BOOTSTRAP"] = "1"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_scene():
    """The race, its people, a token, a session cookie for the timekeeper; the turn started."""
    from datetime import timedelta

    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    from races.models import Participant, Race, RacerProfile, Track
    from races.run_models import Run
    from races.tracks import sync_builtin_tracks
    from timing import desk
    from timing.models import TimerToken

    sync_builtin_tracks()
    users = get_user_model().objects
    organizer = users.create_user("bench-organizer", "o@example.org", "pw")
    racer = users.create_user("bench-racer", "r@example.org", "pw")
    RacerProfile.objects.create(user=racer, alias="BenchRacer", country="DE")
    now = timezone.now()
    race = Race.objects.create(organizer=organizer, name="Timing bench", format="in_person",
                               track=Track.objects.get(slug="oval"), start_at=now,
                               end_at=now + timedelta(hours=4), time_per_racer=10)
    Participant.objects.create(race=race, user=racer)
    _, token = TimerToken.issue(race, "bench pty")
    session = SessionStore()
    session[SESSION_KEY] = str(organizer.pk)
    session[BACKEND_SESSION_KEY] = "races.auth.EmailOrUsernameBackend"  # the throttle before it only refuses
    session[HASH_SESSION_KEY] = organizer.get_session_auth_hash()
    session.create()
    desk.act(race, "start", racer_id=racer.pk, car="bench car")
    assert not Run.objects.exists()
    from django.conf import settings

    return race, token, session.session_key, settings.SESSION_COOKIE_NAME


def post_crossing(conn, race_id: str, token: str, seq: int, device_us: int) -> None:
    body = json.dumps({"session": "bench-direct", "crossings": [
        {"seq": seq, "gate": 0, "sensor": "17", "device_us": device_us}]})
    conn.request("POST", f"/api/races/{race_id}/timer/crossings/", body=body,
                 headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    response = conn.getresponse()
    response.read()
    assert response.status == 200, response.status


def cpu_s(pids: list[int]) -> list[float]:
    import psutil

    return [sum(psutil.Process(pid).cpu_times()[:2]) for pid in pids]


def next_turn(race) -> None:
    """End the turn (its laps go on record) and start the next one, between two measurements."""
    from timing import desk

    desk.act(race, "end")
    desk.act(race, "start", racer_id=race.participants.first().user_id, car="bench car")


async def measure(ws_url: str, cookie: str, origin: str, master: int, laps: int, direct,
                  pids: list[int], race) -> dict:
    from websockets.asyncio.client import connect

    results: dict = {}
    async with connect(ws_url, additional_headers={"Cookie": cookie}, origin=origin, max_size=2**22) as ws:
        first = json.loads(await ws.recv())
        assert first["type"] == "timekeeper.state", first
        device_us = 1_000_000

        async def state_where(check, timeout=5.0):
            deadline = time.perf_counter() + timeout
            while True:
                msg = json.loads(await asyncio.wait_for(ws.recv(), deadline - time.perf_counter()))
                if msg["type"] == "timekeeper.state" and check(msg["desk"]):
                    return time.perf_counter(), msg["desk"]

        # The first crossing starts the lap (and the reader's connection warms up).
        os.write(master, f"X 17 {device_us}\n".encode())
        await state_where(lambda d: d["turn"]["lap_in_progress"])
        async def new_turn():
            nonlocal device_us
            await asyncio.to_thread(next_turn, race)
            await state_where(lambda d: d["turn"] and not d["turn"]["laps"])
            device_us += LAP_US
            os.write(master, f"X 17 {device_us}\n".encode())  # the first crossing starts the lap
            await state_where(lambda d: d["turn"]["lap_in_progress"])

        latencies = []
        cpu_s_spent = [0.0] * len(pids)
        for n in range(1, laps + 1):
            if n > 1 and (n - 1) % TURN_LAPS == 0:
                await new_turn()
            device_us += LAP_US
            cpu_before = cpu_s(pids)
            t0 = time.perf_counter()
            os.write(master, f"X 17 {device_us}\n".encode())
            t1, _ = await state_where(lambda d, k=(n - 1) % TURN_LAPS + 1: len(d["turn"]["laps"]) >= k)
            latencies.append((t1 - t0) * 1000)
            cpu_s_spent = [spent + after - before
                           for spent, before, after in zip(cpu_s_spent, cpu_before, cpu_s(pids), strict=True)]
        results["latencies"] = latencies
        # CPU spent per lap by the server and by the reader: what the path costs on an idle
        # machine, whatever else the machine was doing while it was measured.
        results["cpu_ms_per_lap"] = [round(spent * 1000 / laps, 2) for spent in cpu_s_spent]

        # The server's share: the same crossings POSTed straight to the timer API (no reader).
        server_only = []
        await new_turn()
        for n in range(1, laps + 1):
            if n > 1 and (n - 1) % TURN_LAPS == 0:
                await new_turn()
            device_us += LAP_US
            t0 = time.perf_counter()
            await asyncio.to_thread(direct, n, device_us)
            t1, _ = await state_where(lambda d, k=(n - 1) % TURN_LAPS + 1: len(d["turn"]["laps"]) >= k)
            server_only.append((t1 - t0) * 1000)
        results["server_only"] = server_only

        # The burst: both strips of one lane, 100 signals within 50 ms of device time.
        device_us += LAP_US
        burst = "".join(f"X {17 if i % 2 == 0 else 18} {device_us + i * 500}\n" for i in range(100))
        os.write(master, burst.encode())
        crossings = 0
        deadline = time.perf_counter() + 1.5
        with contextlib.suppress(TimeoutError):
            while time.perf_counter() < deadline:
                msg = json.loads(await asyncio.wait_for(ws.recv(), deadline - time.perf_counter()))
                crossings += msg["type"] == "timer.crossing"
        results["burst_crossings"] = crossings

        # The cable is pulled.
        t0 = time.perf_counter()
        os.close(master)
        t1, _ = await state_where(lambda d: d["timers"] and d["timers"][0]["connected"] is False)
        results["cable_pulled_to_ws_ms"] = (t1 - t0) * 1000
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--laps", type=int, default=200)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="timing-bench-"))
    database_url = args.database_url or f"sqlite:///{workdir / 'db.sqlite3'}"
    print(f"setting up ({database_url})", flush=True)
    setup_django(database_url)
    race, token, session_key, cookie_name = make_scene()

    master, slave = pty.openpty()
    tty.setraw(slave)
    port = free_port()
    fleet = Fleet("timingbench", tmp=workdir)  # its processes only: SQLite, no Redis
    fleet.env.update(DATABASE_URL=database_url, RACESERVER_NO_BOOTSTRAP="1", PYTHONUNBUFFERED="1")
    fleet.env.pop("REDIS_URL", None)
    server_log, reader_log = fleet.log("daphne"), fleet.log("readtimer")
    try:
        procs = [fleet.start("daphne", [PY, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                                        "config.asgi:application"])]
        wait_port(port, 60, procs[0], server_log)
        procs.append(fleet.start("readtimer", [
            PY, "manage.py", "readtimer", "--race", str(race.pk), "--serial", os.ttyname(slave),
            "--protocol", "own", "--server", f"http://127.0.0.1:{port}", "--token", token,
            "--journal", str(workdir / "journal")]))
        from timing.models import Desk, TimerToken

        deadline = time.monotonic() + 30
        key = str(TimerToken.objects.get(race=race).pk)
        while not Desk.objects.get(race=race).readers.get(key, {}).get("connected"):
            if time.monotonic() > deadline or procs[1].poll() is not None:
                raise RuntimeError(f"the reader did not connect: {reader_log.read_text()[-2000:]}")
            time.sleep(0.1)
        os.close(slave)  # the reader holds its own end now
        import http.client

        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        results = asyncio.run(measure(f"ws://127.0.0.1:{port}/ws/races/{race.pk}/timekeeper/",
                                      f"{cookie_name}={session_key}", f"http://127.0.0.1:{port}",
                                      master, args.laps,
                                      lambda seq, device_us: post_crossing(conn, str(race.pk), token, seq, device_us),
                                      [proc.pid for proc in procs], race))
    finally:
        fleet.stop_all()

    lat = results["latencies"]
    figures = {
        "crossing_to_ws_p50_ms": round(percentile(lat, 50), 2),
        "crossing_to_ws_p99_ms": round(percentile(lat, 99), 2),
        "crossing_to_ws_max_ms": round(max(lat), 2),
        "server_only_p50_ms": round(percentile(results["server_only"], 50), 2),
        "server_only_p99_ms": round(percentile(results["server_only"], 99), 2),
        "server_cpu_ms_per_lap": results["cpu_ms_per_lap"][0],
        "reader_cpu_ms_per_lap": results["cpu_ms_per_lap"][1],
        "laps": len(lat),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "cores": os.cpu_count(),
        "burst_crossings": results["burst_crossings"],
        "cable_pulled_to_ws_ms": round(results["cable_pulled_to_ws_ms"], 1),
    }
    print()
    print(f"{'figure':<26}{'this server':>14}{'DREM':>10}{'target':>12}  ok?")
    rows = [("crossing_to_ws_p50_ms", DREM["crossing_to_ws_p50_ms"], None),
            ("crossing_to_ws_p99_ms", DREM["crossing_to_ws_p99_ms"], TARGET_P99_MS),
            ("server_only_p50_ms", None, None),
            ("server_only_p99_ms", None, None),
            ("server_cpu_ms_per_lap", None, None),
            ("reader_cpu_ms_per_lap", None, None),
            ("burst_crossings", DREM["burst_crossings"], 1),
            ("cable_pulled_to_ws_ms", None, 1000.0)]
    for name, peer, target in rows:
        value = figures[name]
        ok = "" if target is None else ("yes" if (value == target if name == "burst_crossings" else value < target) else "NO")
        print(f"{name:<26}{value:>14}{'' if peer is None else peer:>10}{'' if target is None else target:>12}  {ok}")
    print(f"({len(lat)} laps; server_only: POSTed to the timer API without the reader; "
          f"load average {figures['load_average_1min']} on {figures['cores']} cores; "
          "DREM: overlays publish every 2 s, one debounce per sensor)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
