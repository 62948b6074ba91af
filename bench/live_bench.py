"""LIVE broadcast under load: scaled mode on loopback, many races, many websocket viewers.

    python3 bench/live_bench.py [--races 8] [--viewers 1000] [--daphne 2] [--runlive 2]
                                         [--seconds 20]

What it does, all on 127.0.0.1 and all by itself (every process it starts is killed at the end,
also on Ctrl-C or an error; the whole run is bounded by a watchdog):

1. creates a fresh PostgreSQL database ``racebench_<pid>`` (dropped at the end), migrates it, and
   with the Django ORM creates the races (LIVE, built-in ``oval`` track), an organizer, one racer
   per race with a reference-driver model entered, the viewers (participants, spread evenly over
   the races) and a database session per viewer;
2. flushes Redis database 9 and starts ``daphne`` processes and ``manage.py runlive`` processes
   in scaled mode (``LIVE_RUNNER=external``, the Redis channel layer);
3. starts a load generator process (a bare asyncio websocket client) that opens every viewer's websocket
   ``/ws/races/<id>/`` (session cookie, Origin header), spread round-robin over the daphnes, and
   reads everything;
4. launches one run per race through ``live_control`` (entries closed, simulator launched, racer
   launched), waits until every run is ``running``, then measures for ``--seconds``.

Figures (the window is [all runs running + 1 s, + --seconds]; frames whose emit time ``ts`` is in
the window count, late arrivals get a 2 s grace):

* frames/s delivered to all viewers, and the expected races × viewers-per-race × 15 Hz;
* dropped frames: per viewer, every step of its race emitted in the window that it never got
  (gaps in ``frame.step`` included), plus the frames its race's runner did not emit at 15 Hz
  (a runner that falls behind the wall clock loses frames for everyone);
* end-to-end latency p50 / p99: receipt time − ``ts`` (one machine, one clock);
* tick jitter p99 per race from one viewer's stream: |offset_i − median(offset)| where
  offset_i = ts_i − step_i / 15, i.e. how late each frame left the runner relative to its
  typical schedule (also reported: the brief's anchor-on-first-frame form
  |(ts_i − ts_0) − (step_i − step_0) / 15|);
* CPU % of each process over the window (psutil; 100 % = one core of this machine's cores),
  connections established / failed.

Prints a table (figure, value, target, ok?) and, as its last line, one JSON object.
Needs the bench extra (``psutil``, ``uvloop``); installs them into the venv if missing.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if __name__ == "__main__":  # run inside the project's environment (.venv, as manage.py makes it)
    sys.path.insert(0, str(ROOT))
    from manage import bootstrap

    bootstrap(Path(__file__).resolve())
from fleet import PY, Fleet, free_port, install_guards, percentile, wait_port  # noqa: E402 (after the bootstrap)

HZ = 15
REDIS_DB = int(os.environ.get("BENCH_REDIS_DB", "9"))  # flushed: one nobody else uses
GRACE_S = 2.0

TARGETS = {
    "latency_p99_ms": 100.0,
    "dropped_frames": 0,
    "tick_jitter_p99_ms": 5.0,
}


def ensure_deps() -> None:
    missing = []
    for mod, spec in (("psutil", "psutil>=5.9,<8"), ("uvloop", "uvloop>=0.19,<1")):
        try:
            __import__(mod)
        except ImportError:
            missing.append(spec)
    if missing:
        print(f"installing bench deps: {' '.join(missing)}", flush=True)
        subprocess.run([PY, "-m", "pip", "install", "-q", *missing], check=True)


# ---------------------------------------------------------------------------------------------
# Load generator (a separate process: `live_bench.py --loadgen SPEC.json`)
# ---------------------------------------------------------------------------------------------

FRAME_RE = re.compile(rb'"ts": ([0-9.eE+-]+), "frame": \{"type": "frame", "step": (\d+)')
FRAME_PREFIX = b'{"type": "run.frame"'


class ViewerSocket(asyncio.Protocol):
    """One viewer's websocket, client side, on a bare asyncio protocol (RFC 6455: the upgrade
    request, unmasked server frames in, masked control frames out). The load generator shares
    the machine with the servers it measures, so it does per frame no more than find the step
    and emit time: a full websocket client library costs several times the CPU.

    `opened` resolves once the first message (the `race.state` snapshot) arrived, or fails."""

    def __init__(self, request: bytes, rec) -> None:
        self.request = request
        self.rec = rec
        self.buf = bytearray()
        self.upgraded = False
        self.fragments: list[bytes] | None = None
        self.transport: asyncio.Transport | None = None
        self.opened: asyncio.Future = asyncio.get_running_loop().create_future()
        self.closed = asyncio.get_running_loop().create_future()

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.write(self.request)

    def connection_lost(self, exc) -> None:
        self._fail(ConnectionError(f"closed before the snapshot: {exc}"))
        if not self.closed.done():
            self.closed.set_result(None)

    def _fail(self, exc: BaseException) -> None:
        if not self.opened.done():
            self.opened.set_exception(exc)
            if self.transport is not None:
                self.transport.close()

    def data_received(self, data: bytes) -> None:
        now = time.time()
        buf = self.buf
        buf += data
        if not self.upgraded:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(buf[:buf.find(b"\r\n")])
            if not status.startswith(b"HTTP/1.1 101"):
                self._fail(RuntimeError(f"upgrade refused: {status.decode(errors='replace')}"))
                return
            del buf[:end + 4]
            self.upgraded = True
        while len(buf) >= 2:
            b0, b1 = buf[0], buf[1]
            n, head = b1 & 0x7F, 2
            if n == 126:
                if len(buf) < 4:
                    return
                n, head = int.from_bytes(buf[2:4], "big"), 4
            elif n == 127:
                if len(buf) < 10:
                    return
                n, head = int.from_bytes(buf[2:10], "big"), 10
            if b1 & 0x80:
                self._fail(RuntimeError("the server masked a frame"))
                return
            if len(buf) < head + n:
                return
            payload = bytes(buf[head:head + n])
            del buf[:head + n]
            self.frame(b0 & 0x80, b0 & 0x0F, payload, now)

    def frame(self, fin: int, opcode: int, payload: bytes, now: float) -> None:
        if opcode == 0x9:  # ping: pong with the same payload
            self.send_control(0xA, payload)
            return
        if opcode == 0x8:
            self.send_control(0x8, payload[:2])
            self.transport.close()
            return
        if opcode in (0x1, 0x2):
            self.fragments = [payload]
        elif opcode == 0x0 and self.fragments is not None:
            self.fragments.append(payload)
        else:
            return
        if not fin:
            return
        message = b"".join(self.fragments)
        self.fragments = None
        if not self.opened.done():
            if b'"race.state"' not in message[:40]:
                self._fail(RuntimeError(f"first message is not a snapshot: {message[:80]!r}"))
            else:
                self.opened.set_result(None)
            return
        if message.startswith(FRAME_PREFIX):
            m = FRAME_RE.search(message, 0, 200)
            if m is None:
                ev = json.loads(message)
                self.rec((ev["frame"]["step"], ev["ts"], now))
            else:
                self.rec((int(m.group(2)), float(m.group(1)), now))

    def send_control(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.transport.write(bytes((0x80 | opcode, 0x80 | len(payload))) + mask + masked)


def upgrade_request(url: str, cookie: str, origin: str) -> tuple[str, int, bytes]:
    m = re.fullmatch(r"ws://([^:/]+):(\d+)(/.*)", url)
    if m is None:
        raise ValueError(f"not a ws://host:port/path URL: {url}")
    host, port, path = m.group(1), int(m.group(2)), m.group(3)
    key = base64.b64encode(os.urandom(16)).decode()
    request = (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
               f"Origin: {origin}\r\nCookie: {cookie}\r\n\r\n")
    return host, port, request.encode()


async def loadgen_main(spec_path: str) -> None:
    """Open every viewer's websocket, read everything, record (step, ts, receipt) per viewer.

    Talks to the parent on stdin/stdout, one JSON line each way:
    out {"connected": n, "failed": n}; in {"window": [t0, t1]}; out {...figures...}."""
    spec = json.loads(Path(spec_path).read_text())
    viewers = spec["viewers"]  # [{url, cookie, origin, race}]
    records: list[list[tuple[int, float, float]]] = [[] for _ in viewers]
    failures: list[str] = []
    opened = [False] * len(viewers)
    sockets: list[ViewerSocket | None] = [None] * len(viewers)
    gate = asyncio.Semaphore(int(spec.get("connect_concurrency", 32)))
    loop = asyncio.get_running_loop()

    async def viewer(i: int, v: dict) -> None:
        try:
            async with gate:
                host, port, request = upgrade_request(v["url"], v["cookie"], v["origin"])
                _, sock = await asyncio.wait_for(loop.create_connection(
                    lambda: ViewerSocket(request, records[i].append), host, port), 60)
                sockets[i] = sock
                await asyncio.wait_for(sock.opened, 90)
        except Exception as exc:
            failures.append(f"{type(exc).__name__}: {exc}"[:200])
            return
        opened[i] = True

    tasks = [asyncio.create_task(viewer(i, v)) for i, v in enumerate(viewers)]
    started = time.monotonic()
    while (sum(opened) + len(failures) < len(viewers)) and time.monotonic() - started < 120:
        await asyncio.sleep(0.2)
    out = sys.stdout
    out.write(json.dumps({"connected": sum(opened), "failed": len(viewers) - sum(opened),
                          "failures": failures[:5],
                          "connect_s": round(time.monotonic() - started, 2)}) + "\n")
    out.flush()
    line = await loop.run_in_executor(None, sys.stdin.readline)
    t0, t1 = json.loads(line)["window"]
    # the parent sends what the runners emitted once the window's frames had their grace period
    line = await loop.run_in_executor(None, sys.stdin.readline)
    emitted = {race: set(steps) for race, steps in json.loads(line)["emitted"].items()}
    for t in tasks:
        t.cancel()
    closed_during = sum(1 for sock, ok in zip(sockets, opened, strict=True) if ok and sock.closed.done())
    for sock in sockets:
        if sock is not None and sock.transport is not None:
            sock.transport.close()
    out.write(json.dumps(analyse(viewers, records, emitted, t0, t1, closed_during)) + "\n")
    out.flush()


def analyse(viewers: list[dict], records: list[list[tuple[int, float, float]]],
            emitted: dict[str, set[int]], t0: float, t1: float, closed_during: int) -> dict:
    """Delivery figures: `emitted` is, per race, the steps its runner emitted in the window
    (seen by the parent's own channel-layer watcher, before any daphne)."""
    window = t1 - t0
    delivered_in_window = 0
    latencies: list[float] = []
    dropped = 0
    for i, v in enumerate(viewers):
        steps = emitted.get(v["race"], set())
        got = set()
        for step, ts, recv in records[i]:
            if t0 <= recv < t1:
                delivered_in_window += 1
            if step in steps:
                got.add(step)
                latencies.append((recv - ts) * 1000)
        dropped += len(steps) - len(got)
    return {
        "delivered_in_window": delivered_in_window,
        "frames_per_s": round(delivered_in_window / window, 1),
        "latency_p50_ms": _r(percentile(latencies, 50)),
        "latency_p99_ms": _r(percentile(latencies, 99)),
        "latency_max_ms": _r(max(latencies) if latencies else None),
        "dropped_in_delivery": dropped,
        "closed_during_run": closed_during,
    }


class Watcher:
    """Our own member of every race group, on a thread with its own event loop and its own
    channel-layer instance: what the runners emitted, when, and the runner-side tick jitter."""

    def __init__(self, race_ids: list[str]) -> None:
        import threading

        self.race_ids = race_ids
        self.records: list[tuple[int, int, float, float]] = []  # run_id, step, ts, recv
        self.stopping = False
        self.ready = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._main, daemon=True, name="bench-watcher")
        self.thread.start()
        if not self.ready.wait(20):
            raise RuntimeError(f"the watcher did not join the race groups: {self.error}")

    def _main(self) -> None:
        try:
            asyncio.run(self._watch())
        except BaseException as exc:  # reported by the caller
            self.error = exc
            self.ready.set()

    async def _watch(self) -> None:
        from channels.layers import channel_layers

        from races import protocol

        layer = channel_layers.make_backend("default")
        channel = await layer.new_channel()
        for race_id in self.race_ids:
            await layer.group_add(protocol.race_group(race_id), channel)
        self.ready.set()
        rec = self.records.append
        pending = None  # never cancelled: a cancelled pub/sub receive unsubscribes its channel
        while not self.stopping:
            if pending is None:
                pending = asyncio.ensure_future(layer.receive(channel))
            done, _ = await asyncio.wait({pending}, timeout=0.5)
            if not done:
                continue
            msg, pending = pending.result(), None
            if msg.get("type") == "run.frame":
                rec((msg["run_id"], msg["frame"]["step"], msg["ts"], time.time(),
                     msg["frame"].get("late_ms", 0.0)))

    def stop(self) -> None:
        self.stopping = True
        self.thread.join(5)


def source_figures(records, run_race: dict[int, str], t0: float, t1: float) -> dict:
    """Per race: steps emitted in the window, emit rate, tick jitter, runner→watcher latency."""
    window = t1 - t0
    by_race: dict[str, list[tuple[int, float, float]]] = {r: [] for r in run_race.values()}
    late_all = []
    for run_id, step, ts, recv, late_ms in records:
        if run_id in run_race and t0 <= ts < t1:
            by_race[run_race[run_id]].append((step, ts, recv))
            late_all.append(late_ms)
    emitted, jm_all, jf_all, lat = {}, [], [], []
    not_emitted = 0
    rates = []
    for race, rows in by_race.items():
        rows.sort()
        emitted[race] = [s for s, _, _ in rows]
        rates.append(len(rows) / window)
        not_emitted += max(0, int(round(window * HZ)) - 1 - len(rows))
        lat += [(recv - ts) * 1000 for _, ts, recv in rows]
        if len(rows) > 2:
            offsets = [ts - s / HZ for s, ts, _ in rows]
            med = percentile(offsets, 50)
            jm_all += [abs(o - med) * 1000 for o in offsets]
            s0, ts0, _ = rows[0]
            jf_all += [abs((ts - ts0) - (s - s0) / HZ) * 1000 for s, ts, _ in rows]
    return {
        "emitted": emitted,
        "runner_emit_hz_min": round(min(rates), 2) if rates else 0,
        "not_emitted_per_race": not_emitted,
        # Tick jitter: how late each tick started against its schedule, as the runner measured
        # it. Emit jitter adds the step's own compute and the wait for the GIL behind the other
        # races' runner threads of the process, seen from the emit timestamps.
        "tick_jitter_p99_ms": _r(percentile(late_all, 99)),
        "emit_jitter_p99_ms": _r(percentile(jm_all, 99)),
        "emit_jitter_first_anchor_p99_ms": _r(percentile(jf_all, 99)),
        "layer_latency_p99_ms": _r(percentile(lat, 99)),
    }


def _r(x: float | None, nd: int = 2) -> float | None:
    return None if x is None else round(x, nd)


# ---------------------------------------------------------------------------------------------
# The conductor
# ---------------------------------------------------------------------------------------------

class Bench(Fleet):
    def __init__(self, args: argparse.Namespace) -> None:
        super().__init__("racebench", REDIS_DB)
        self.args = args
        self.secret = "bench-" + os.urandom(24).hex()
        self.env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "LIVE_RUNNER": "external",
            "RACESERVER_NO_BOOTSTRAP": "1",
            "DEBUG": "0",
            "SECRET_KEY": self.secret,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "PYTHONUNBUFFERED": "1",
            "LOG_LEVEL": "WARNING",
            "VAR_DIR": str(self.tmp / "var"),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "CHANNEL_LAYER": args.layer,
        }

    def setup_django(self) -> None:
        for key in ("DATABASE_URL", "REDIS_URL", "LIVE_RUNNER", "SECRET_KEY", "ALLOWED_HOSTS",
                    "DEBUG", "VAR_DIR", "DJANGO_SETTINGS_MODULE", "LOG_LEVEL", "CHANNEL_LAYER"):
            os.environ[key] = self.env[key]
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()

    def populate(self) -> tuple[list[dict], list]:
        """Races, organizer, racers with models entered, viewers and their sessions."""
        from datetime import timedelta

        from django.conf import settings
        from django.contrib.auth import (
            BACKEND_SESSION_KEY,
            HASH_SESSION_KEY,
            SESSION_KEY,
            get_user_model,
        )
        from django.contrib.auth.hashers import make_password
        from django.contrib.sessions.backends.db import SessionStore
        from django.contrib.sessions.models import Session
        from django.utils import timezone
        from django.utils.module_loading import import_string

        from races import live_control
        from races.garage import enter_race, reference_model
        from races.models import Participant, Race, RacerProfile, Track
        from races.tracks import sync_builtin_tracks

        a = self.args
        User = get_user_model()
        sync_builtin_tracks()
        oval = Track.objects.get(slug="oval")
        now = timezone.now()
        organizer = User.objects.create(username="bench-organizer", email="org@example.org",
                                        password=make_password(None))
        races = []
        for r in range(a.races):
            race = Race.objects.create(
                organizer=organizer, name=f"Bench Cup {r + 1}", format="live", track=oval,
                start_at=now, end_at=now + timedelta(hours=4), time_per_racer=5)
            racer = User.objects.create(username=f"bench-racer{r}", email=f"r{r}@example.org",
                                        password=make_password(None))
            RacerProfile.objects.create(user=racer, alias=f"BenchRacer{r}", country="DE")
            Participant.objects.create(race=race, user=racer)
            enter_race(race, racer, reference_model(racer, "Steady", temperament="steady"))
            live_control.set_entries_open(race, False)
            live_control.launch_simulator(race, step_s=0)
            race.refresh_from_db()
            races.append((race, racer))
        unusable = make_password(None)
        users = User.objects.bulk_create([
            User(username=f"bench-viewer{i}", email=f"v{i}@example.org", password=unusable)
            for i in range(a.viewers)])
        Participant.objects.bulk_create([
            Participant(race=races[i % a.races][0], user=u) for i, u in enumerate(users)])
        store = SessionStore()
        # the backend a logged-in session names: the first that can load users (as Django's
        # force_login picks it; the login throttle before it only refuses)
        backend = next(path for path in settings.AUTHENTICATION_BACKENDS
                       if hasattr(import_string(path), "get_user"))
        expire = now + timedelta(days=1)
        sessions, viewers = [], []
        for i, u in enumerate(users):
            key = f"bench{i:06d}" + os.urandom(12).hex()
            data = {SESSION_KEY: str(u.pk), BACKEND_SESSION_KEY: backend,
                    HASH_SESSION_KEY: u.get_session_auth_hash()}
            sessions.append(Session(session_key=key, session_data=store.encode(data),
                                    expire_date=expire))
            viewers.append({"race": str(races[i % a.races][0].pk), "cookie":
                            f"{settings.SESSION_COOKIE_NAME}={key}"})
        Session.objects.bulk_create(sessions, batch_size=500)
        return viewers, races

    # -- the run ----------------------------------------------------------------------------
    def run(self) -> dict:
        import psutil

        a = self.args
        t_setup = time.monotonic()
        self.flush_redis()
        self.create_db()
        subprocess.run([PY, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=self.env,
                       check=True, timeout=180)
        self.setup_django()
        viewers, races = self.populate()
        print(f"setup: {a.races} races, {a.viewers} viewers, db {self.db_name} "
              f"({time.monotonic() - t_setup:.1f} s)", flush=True)

        ports = [free_port() for _ in range(a.daphne)]
        daphnes = [self.start(f"daphne{i}", [str(Path(PY).parent / "daphne"), "-b", "127.0.0.1",
                                             "-p", str(port), "-v", "0",
                                             "config.asgi:application"])
                   for i, port in enumerate(ports)]
        runlives = [self.start(f"runlive{i}", [PY, "manage.py", "runlive"])
                    for i in range(a.runlive)]
        for i, (port, proc) in enumerate(zip(ports, daphnes, strict=True)):
            wait_port(port, 60, proc, self.tmp / f"daphne{i}.log")
        for i, proc in enumerate(runlives):
            deadline = time.monotonic() + 60
            while "waiting for launches" not in (self.tmp / f"runlive{i}.log").read_text():
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"runlive{i} did not start: "
                                       f"{(self.tmp / f'runlive{i}.log').read_text()[-2000:]}")
                time.sleep(0.2)

        for i, v in enumerate(viewers):
            port = ports[i % len(ports)]
            v["url"] = f"ws://127.0.0.1:{port}/ws/races/{v['race']}/"
            v["origin"] = f"http://127.0.0.1:{port}"
        spec = self.tmp / "loadgen.json"
        spec.write_text(json.dumps({"viewers": viewers}))
        loadgen = self.start("loadgen", [PY, str(Path(__file__).resolve()), "--loadgen", str(spec)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        conn = json.loads(self._readline(loadgen, 150))
        print(f"connections: {conn['connected']} established, {conn['failed']} failed "
              f"({conn['connect_s']} s){'  e.g. ' + conn['failures'][0] if conn['failures'] else ''}",
              flush=True)

        # launch one run per race
        from races import live_control
        from races.models import Run

        watcher = Watcher([str(race.pk) for race, _ in races])
        try:
            for race, racer in races:
                live_control.launch_racer(race, racer.pk)
            deadline = time.monotonic() + 60
            while Run.objects.filter(state=Run.State.RUNNING).count() < a.races:
                if time.monotonic() > deadline:
                    states = list(Run.objects.values_list("state", "failure"))
                    raise RuntimeError(f"runs did not all start: {states}")
                time.sleep(0.1)
            runs = list(Run.objects.values_list("pk", "race_id", "owner"))
            run_race = {pk: str(race_id) for pk, race_id, _ in runs}
            owners = sorted(owner for _, _, owner in runs)
            t0 = time.time() + 1.0
            t1 = t0 + a.seconds

            watched = {f"daphne{i}": p.pid for i, p in enumerate(daphnes)}
            watched.update({f"runlive{i}": p.pid for i, p in enumerate(runlives)})
            watched["loadgen"] = loadgen.pid
            for p in psutil.process_iter(["name"]):
                if p.info["name"] == "redis-server":
                    watched["redis-server"] = p.pid
                    break
            handles = {k: psutil.Process(pid) for k, pid in watched.items()}
            time.sleep(max(0.0, t0 - time.time()))
            before = {k: sum(h.cpu_times()[:2]) for k, h in handles.items()}
            machine0 = psutil.cpu_times()
            w0 = time.monotonic()
            loadgen.stdin.write(json.dumps({"window": [t0, t1]}) + "\n")
            loadgen.stdin.flush()
            profiles = self.start_profiles(watched) if a.profile else []
            time.sleep(max(0.0, t1 - time.time()))
            after = {k: sum(h.cpu_times()[:2]) for k, h in handles.items()}
            machine1 = psutil.cpu_times()
            wall = time.monotonic() - w0
            cpu = {k: round(100 * (after[k] - before[k]) / wall, 1) for k in handles}
            idle = (machine1.idle + getattr(machine1, "iowait", 0)) - (
                machine0.idle + getattr(machine0, "iowait", 0))
            busy = sum(machine1) - sum(machine0) - idle
            machine_busy = round(100 * busy / wall, 1)
            time.sleep(max(0.0, t1 + GRACE_S - time.time()))
        finally:
            watcher.stop()
        source = source_figures(watcher.records, run_race, t0, t1)
        loadgen.stdin.write(json.dumps({"emitted": source["emitted"]}) + "\n")
        loadgen.stdin.flush()
        result = json.loads(self._readline(loadgen, 120))
        for name, proc in self.procs:
            if name != "loadgen" and proc.poll() is not None:
                print(f"warning: {name} exited with {proc.returncode} during the run", flush=True)
        if profiles:
            self.print_profiles(profiles)
        return {"conn": conn, "result": result, "source": source, "cpu": cpu, "owners": owners,
                "layer": a.layer, "machine_busy": machine_busy}

    # -- optional: py-spy on the servers during the window ------------------------------------
    def start_profiles(self, watched: dict[str, int]) -> list[tuple[str, Path, subprocess.Popen]]:
        spy = Path(PY).parent / "py-spy"
        if not spy.exists():
            print("--profile: py-spy is not installed (pip install py-spy)", flush=True)
            return []
        out = []
        for name in ("daphne0", "runlive0"):
            if name in watched:
                path = self.tmp / f"{name}.collapsed"
                proc = self.start(f"py-spy-{name}", [
                    str(spy), "record", "-p", str(watched[name]), "-d", str(int(self.args.seconds)),
                    "-r", "200", "-f", "raw", "-o", str(path), "--nonblocking"])
                out.append((name, path, proc))
        return out

    def print_profiles(self, profiles) -> None:
        for name, path, proc in profiles:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                continue
            if not path.exists():
                continue
            total, self_t, incl = 0, {}, {}
            for line in path.read_text().splitlines():
                stack, _, n = line.rpartition(" ")
                if not n.isdigit():
                    continue
                n = int(n)
                total += n
                frames = stack.split(";")
                leaf = frames[-1]
                self_t[leaf] = self_t.get(leaf, 0) + n
                for f in set(frames):
                    incl[f] = incl.get(f, 0) + n
            print(f"\nprofile of {name}: {total} samples; top self time")
            for f, n in sorted(self_t.items(), key=lambda kv: -kv[1])[:15]:
                print(f"  {100 * n / total:5.1f}%  {f[:150]}")
            print(f"profile of {name}: top inclusive time")
            for f, n in sorted(incl.items(), key=lambda kv: -kv[1])[:30]:
                print(f"  {100 * n / total:5.1f}%  {f[:150]}")

    def _readline(self, proc: subprocess.Popen, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        import selectors

        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if sel.select(0.5):
                line = proc.stdout.readline()
                if line:
                    return line
                raise RuntimeError(f"load generator exited: "
                                   f"{(self.tmp / 'loadgen.log').read_text()[-2000:]}")
        raise TimeoutError("the load generator did not answer in time")


def report(args, out: dict) -> dict:
    r = out["result"]
    src = out["source"]
    races, viewers = args.races, args.viewers
    per_race_viewers = [len(range(i, viewers, races)) for i in range(races)]
    expected = sum(per_race_viewers) * HZ
    figures = {
        "races": races,
        "viewers": viewers,
        "connections_established": out["conn"]["connected"],
        "connections_failed": out["conn"]["failed"],
        "frames_per_s": r["frames_per_s"],
        "expected_frames_per_s": expected,
        "latency_p50_ms": r["latency_p50_ms"],
        "latency_p99_ms": r["latency_p99_ms"],
        "latency_max_ms": r["latency_max_ms"],
        "dropped_frames": r["dropped_in_delivery"] + src["not_emitted_per_race"] * viewers // races,
        "dropped_in_delivery": r["dropped_in_delivery"],
        "dropped_not_emitted": src["not_emitted_per_race"] * viewers // races,
        "runner_emit_hz_min": src["runner_emit_hz_min"],
        "runner_to_layer_latency_p99_ms": src["layer_latency_p99_ms"],
        "tick_jitter_p99_ms": src["tick_jitter_p99_ms"],
        "emit_jitter_p99_ms": src["emit_jitter_p99_ms"],
        "emit_jitter_first_anchor_p99_ms": src["emit_jitter_first_anchor_p99_ms"],
        "channel_layer": out["layer"],
        "cpu_percent": out["cpu"],
        "cpu_total_percent": round(sum(out["cpu"].values()), 1),
        "cpu_machine_busy_percent": out["machine_busy"],
        "cpu_others_percent": round(out["machine_busy"] - sum(out["cpu"].values()), 1),
        "machine_cores": os.cpu_count(),
        "daphne_processes": args.daphne,
        "runlive_processes": args.runlive,
        "runs_per_runlive": {o: out["owners"].count(o) for o in sorted(set(out["owners"]))},
        "window_s": args.seconds,
    }
    rows = [
        ("races × viewers", f"{races} × {viewers}", "8 × 1000", races >= 8 and viewers >= 1000),
        ("connections established / failed",
         f"{figures['connections_established']} / {figures['connections_failed']}",
         f"{viewers} / 0", figures["connections_failed"] == 0),
        ("frames/s delivered", f"{figures['frames_per_s']:.0f}", f"{expected}",
         figures["frames_per_s"] >= 0.99 * expected),
        ("runner emit rate min (Hz)", f"{figures['runner_emit_hz_min']}", "15",
         figures["runner_emit_hz_min"] >= 14.9),
        ("latency p50 (ms)", f"{figures['latency_p50_ms']}", "", None),
        ("latency runner → layer p99 (ms)", f"{figures['runner_to_layer_latency_p99_ms']}", "",
         None),
        ("latency p99 (ms)", f"{figures['latency_p99_ms']}", "< 100",
         figures["latency_p99_ms"] is not None and figures["latency_p99_ms"] < 100),
        ("dropped frames", f"{figures['dropped_frames']} (delivery {figures['dropped_in_delivery']}"
         f", not emitted {figures['dropped_not_emitted']})", "0", figures["dropped_frames"] == 0),
        ("tick jitter p99 (ms): tick start vs schedule", f"{figures['tick_jitter_p99_ms']}", "< 5",
         figures["tick_jitter_p99_ms"] is not None and figures["tick_jitter_p99_ms"] < 5),
        ("emit jitter p99 (ms): + step compute, GIL", f"{figures['emit_jitter_p99_ms']} "
         f"(first-anchor {figures['emit_jitter_first_anchor_p99_ms']})", "", None),
    ]
    for k, v in out["cpu"].items():
        rows.append((f"CPU % {k}", f"{v}", "", None))
    rows.append((f"CPU % total (of {os.cpu_count()} cores = {100 * os.cpu_count()} %)",
                 f"{figures['cpu_total_percent']}", "", None))
    rows.append(("CPU % whole machine (others: bench, PostgreSQL, other users)",
                 f"{figures['cpu_machine_busy_percent']} ({figures['cpu_others_percent']})", "",
                 None))
    w = max(len(r[0]) for r in rows)
    wv = max(len(r[1]) for r in rows)
    print(f"\n{'figure':<{w}}  {'value':<{wv}}  {'target':<9}  ok?")
    for name, value, target, ok in rows:
        mark = "" if ok is None else ("yes" if ok else "NO")
        print(f"{name:<{w}}  {value:<{wv}}  {target:<9}  {mark}")
    print(f"window {args.seconds} s; runs per runlive process: {figures['runs_per_runlive']}")
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--races", type=int, default=8)
    parser.add_argument("--viewers", type=int, default=1000, help="in total, over all races")
    parser.add_argument("--daphne", type=int, default=2)
    parser.add_argument("--runlive", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--layer", choices=("core", "pubsub"), default="pubsub",
                        help="channels_redis backend of every process (CHANNEL_LAYER)")
    parser.add_argument("--profile", action="store_true",
                        help="py-spy daphne0 and runlive0 over the window; print the hot spots")
    parser.add_argument("--keep-logs", action="store_true", help="print the log directory")
    parser.add_argument("--loadgen", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.loadgen:
        import uvloop  # the load generator's event loop in C: more of the machine for the servers

        uvloop.run(loadgen_main(args.loadgen))
        return 0
    if args.races < 1 or args.viewers < args.races or args.seconds <= 0:
        parser.error("need races >= 1, viewers >= races, seconds > 0")
    ensure_deps()

    install_guards(int(240 + args.seconds + args.viewers / 20))
    bench = Bench(args)
    try:
        out = bench.run()
        signal.alarm(0)
        figures = report(args, out)
    except KeyboardInterrupt as exc:
        print(f"interrupted ({exc}): stopping every process the bench started", file=sys.stderr)
        return 130
    finally:
        signal.alarm(0)
        bench.close(args.keep_logs, grace_s=5)
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
