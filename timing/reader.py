"""The lap timer reader: runs next to the hardware, talks to the server only through its timer API.

    python manage.py readtimer --race RACE_ID --token drt_… \\
        (--serial PORT [--baud N] | --drem-ws URL | --socketio URL) [--protocol drem-json|plain|own]

(or `python -m timing.reader …` on a Raspberry Pi with only pyserial / websockets /
python-socketio installed: this module imports no Django).

Three threads: the source reads the device (a serial port, the DREM timer's WebSocket, the
community timer's socket.io) and reconnects by itself; every signal is stamped (device clock,
or the reader's monotonic clock for formats without one), debounced across the sensors of its
gate and written to the journal on disk; the sender delivers the journal in order and reports
the device's state (a pulled cable within a second) and a heartbeat. While the server or its
database is unreachable the crossings wait in the journal (store and forward).
"""

from __future__ import annotations

import abc
import argparse
import contextlib
import http.client
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from . import options
from .debounce import Debouncer, gate_map
from .journal import Journal
from .parsers import (
    LINE_PARSERS,
    LineSplitter,
    Signal,
    line_parser,
    parse_drem_json,
    parse_socketio_timer,
)

log = logging.getLogger("timing.reader")
RETRY_S = 0.2  # between attempts to reopen a device or reach the server (capped backoff below)
MAX_RETRY_S = 2.0
HEARTBEAT_S = 1.0
SERVER_TIMEOUT_S = 3.0
# Answers that no retry will change: a revoked or wrong token, another race's token, a race that
# is gone. Anything else (connection refused, 5xx, a timeout) is an outage: store and forward.
REFUSALS = {401: "the server refused the timer token (unknown or revoked: ask the organizer for a new one)",
            403: "the server refused the timer token for this race",
            404: "the server does not know this race for this token (check --race and --server)"}
INSTALL = {"serial": "pyserial", "websockets": "websockets", "socketio": "python-socketio[client]"}

OnSignal = Callable[[Signal, int], None]  # signal, arrival on the monotonic clock (µs)
OnStatus = Callable[[bool, str], None]


def monotonic_us() -> int:
    return time.monotonic_ns() // 1000


# -- sources ------------------------------------------------------------------------------------

class Source(abc.ABC):
    """Reads one device until `stop` is set, reconnecting by itself."""

    def __init__(self, on_signal: OnSignal, on_status: OnStatus, stop: threading.Event):
        self.on_signal, self.on_status, self.stop = on_signal, on_status, stop

    @abc.abstractmethod
    def run(self) -> None:
        """Read until `stop`: each kind of device has its own loop."""


class IgnoredLines:
    """Lines of a serial port that are not crossings in the chosen protocol: each is logged at
    debug level (-v), and the first that another protocol would take for a crossing, or else the
    first one at all, is warned about once: a wrong --protocol must not drop laps silently."""

    def __init__(self, protocol: str) -> None:
        self.protocol = protocol
        self.warned_any = self.warned_other = False

    def __call__(self, line: bytes) -> None:
        text = line.strip()
        if not text:
            return
        if text.startswith(b"#"):  # a comment (boot banner, diagnostics): firmware may say anything
            log.debug("comment line: %r", bytes(line))
            return
        log.debug("ignored line (not a %s crossing): %r", self.protocol, bytes(line))
        other = next((name for name, parse in LINE_PARSERS.items()
                      if name != self.protocol and parse(line) is not None), None)
        if other is not None and not self.warned_other:
            self.warned_other = self.warned_any = True
            log.warning("ignoring line %r: not a crossing in --protocol %s, but it is one in --protocol %s: "
                        "restart the reader with --protocol %s", bytes(text), self.protocol, other, other)
        elif not self.warned_any:
            self.warned_any = True
            log.warning("ignoring lines that are not %s crossings, e.g. %r (-v logs each one)",
                        self.protocol, bytes(text))


class SerialSource(Source):
    def __init__(self, port: str, baud: int, protocol: str, *args):
        super().__init__(*args)
        self.port, self.baud, self.parse = port, baud, line_parser(protocol)
        self.ignored = IgnoredLines(protocol)

    def run(self) -> None:
        import serial  # pyserial; imported here so the other sources need not install it

        splitter = LineSplitter()
        delay = RETRY_S
        reported = None
        while not self.stop.is_set():
            try:
                device = serial.Serial(self.port, self.baud, timeout=0.05)
            except (serial.SerialException, OSError) as exc:
                if reported != "absent":
                    self.on_status(False, f"serial port {self.port} unavailable ({exc.__class__.__name__}): cable pulled?")
                    reported = "absent"
                self.stop.wait(delay)
                delay = min(delay * 2, MAX_RETRY_S / 4)  # a replugged cable is back within 0.5 s
                continue
            delay = RETRY_S
            splitter.reset()  # a half line from before the cable was pulled is not a line
            self.on_status(True, f"serial port {self.port} open")
            reported = "open"
            try:
                with device:
                    while not self.stop.is_set():
                        chunk = device.read(max(1, device.in_waiting))
                        if chunk:
                            now = monotonic_us()
                            for line in splitter.feed(chunk):
                                signal = self.parse(line)
                                if signal is not None:
                                    self.on_signal(signal, now)
                                else:
                                    self.ignored(line)
            except (serial.SerialException, OSError) as exc:
                self.on_status(False, f"serial port {self.port} lost ({exc.__class__.__name__}): cable pulled?")
                reported = "lost"


class DremWebSocketSource(Source):
    """The DREM Pi timer's WebSocket: `{"event":"lap",…}` messages."""

    def __init__(self, url: str, *args):
        super().__init__(*args)
        self.url = url

    def run(self) -> None:
        from websockets.exceptions import WebSocketException
        from websockets.sync.client import connect

        reported = None
        while not self.stop.is_set():
            try:
                # Pings every half second: a timer box that lost power is noticed within ~1 s.
                with connect(self.url, open_timeout=2, ping_interval=0.5, ping_timeout=0.5,
                             max_size=64 * 1024) as socket:
                    self.on_status(True, f"DREM timer {self.url} connected")
                    reported = "open"
                    while not self.stop.is_set():
                        try:
                            message = socket.recv(timeout=0.2)
                        except TimeoutError:
                            continue
                        signal = parse_drem_json(message)
                        if signal is not None:
                            self.on_signal(signal, monotonic_us())
                    return
            except (OSError, WebSocketException, TimeoutError) as exc:
                if reported != "lost":
                    self.on_status(False, f"DREM timer {self.url} unreachable ({exc.__class__.__name__})")
                    reported = "lost"
                self.stop.wait(RETRY_S)


class SocketIOSource(Source):
    """The community deepracer-timer: socket.io `timer` events, `passed` is a crossing."""

    def __init__(self, url: str, *args):
        super().__init__(*args)
        self.url = url

    def run(self) -> None:
        import socketio

        client = socketio.Client(reconnection=True, reconnection_delay=RETRY_S,
                                 reconnection_delay_max=MAX_RETRY_S, logger=False, engineio_logger=False)

        @client.on("connect")
        def _connected():
            self.on_status(True, f"socket.io timer {self.url} connected")

        @client.on("disconnect")
        def _gone(*_):
            self.on_status(False, f"socket.io timer {self.url} disconnected")

        @client.on("timer")
        def _timer(value=None, *_):
            signal = parse_socketio_timer(value)
            if signal is not None:
                self.on_signal(signal, monotonic_us())

        while not self.stop.is_set():
            try:
                client.connect(self.url, transports=["websocket"], wait_timeout=2)
                break
            except Exception as exc:  # socketio raises ConnectionError and others of its own
                self.on_status(False, f"socket.io timer {self.url} unreachable ({exc.__class__.__name__})")
                self.stop.wait(RETRY_S)
        self.stop.wait()
        client.disconnect()


# -- the server ---------------------------------------------------------------------------------

class ServerError(Exception):
    def __init__(self, status: int, text: str):
        super().__init__(f"{status}: {text[:200]}")
        self.status = status


class TimerApi:
    """The server's timer API over one kept-alive HTTP connection (recreated after an error)."""

    def __init__(self, server: str, race_id: str, token: str):
        parts = urlsplit(server.rstrip("/"))
        self.scheme, self.netloc, self.base = parts.scheme or "http", parts.netloc, parts.path
        self.race_id, self.token = race_id, token
        self._conn: http.client.HTTPConnection | None = None

    def _post(self, path: str, body: dict) -> dict:
        if self._conn is None:
            cls = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
            self._conn = cls(self.netloc, timeout=SERVER_TIMEOUT_S)
        try:
            self._conn.request("POST", f"{self.base}/api/races/{self.race_id}/timer/{path}/",
                               body=json.dumps(body), headers={"Content-Type": "application/json",
                                                               "Authorization": f"Bearer {self.token}"})
            response = self._conn.getresponse()
            text = response.read().decode(errors="replace")
        except (OSError, http.client.HTTPException):
            self._conn.close()
            self._conn = None
            raise
        if response.status >= 400:
            raise ServerError(response.status, text)
        return json.loads(text or "{}")

    def crossings(self, session: str, items: list[dict]) -> int:
        return int(self._post("crossings", {"session": session, "crossings": items})["last_seq"])

    def status(self, connected: bool, message: str) -> None:
        self._post("status", {"connected": connected, "message": message[:200]})


# -- the reader ---------------------------------------------------------------------------------

class Reader:
    def __init__(self, api: TimerApi, journal: Journal, debouncer: Debouncer):
        self.api, self.journal, self.debouncer = api, journal, debouncer
        self.stop = threading.Event()
        self._wake = threading.Condition()
        self._status: tuple[bool, str] | None = None  # the device's state, not yet told
        self._told: tuple[bool, str] = (False, "starting")
        self.server_up: bool | None = None
        self.failure: str | None = None  # why the reader stopped by itself (exit nonzero)

    # called by the source's thread
    def on_signal(self, signal: Signal, arrival_us: int) -> None:
        device_us = signal.device_us if signal.device_us is not None else arrival_us
        crossing = self.debouncer.accept(signal.sensor, device_us)
        if crossing is None:
            return
        self.journal.append(crossing.gate, crossing.sensor, crossing.device_us, time.time() * 1000)
        with self._wake:
            self._wake.notify()

    def on_status(self, connected: bool, message: str) -> None:
        log.info("device %s: %s", "up" if connected else "DOWN", message)
        with self._wake:
            self._status = (connected, message)
            self._wake.notify()

    # the sender's thread
    def send_forever(self) -> None:
        delay = RETRY_S
        last_beat = 0.0
        while not self.stop.is_set():
            with self._wake:
                if not self.journal.pending() and self._status is None:
                    self._wake.wait(timeout=max(0.0, HEARTBEAT_S - (time.monotonic() - last_beat)))
                status, self._status = self._status, None
            try:
                if status is not None:
                    self.api.status(*status)
                    self._told, last_beat = status, time.monotonic()
                while pending := self.journal.pending():
                    try:
                        self.journal.acknowledge(self.api.crossings(self.journal.session, pending))
                    except ServerError as exc:
                        if exc.status != 400:
                            raise
                        # A batch the server refuses as malformed would block every later lap.
                        log.error("server refused crossings %s..%s: %s", pending[0]["seq"], pending[-1]["seq"], exc)
                        self.journal.acknowledge(pending[-1]["seq"])
                    last_beat = time.monotonic()
                if time.monotonic() - last_beat >= HEARTBEAT_S:
                    self.api.status(*self._told)
                    last_beat = time.monotonic()
                if self.server_up is not True:
                    log.info("server reached; %d crossing(s) acknowledged so far", self.journal.acked)
                self.server_up, delay = True, RETRY_S
            except (OSError, http.client.HTTPException, ServerError, ValueError) as exc:
                self.journal.sync()  # crossings have to wait: on disk for good
                if isinstance(exc, ServerError) and exc.status in REFUSALS:
                    self._fail(f"{REFUSALS[exc.status]} [HTTP {exc}]; "
                               f"{len(self.journal.pending())} crossing(s) kept in {self.journal.path}")
                    return
                if status is not None:  # tell it again once the server is back
                    with self._wake:
                        self._status = self._status or status
                if self.server_up is not False:
                    log.warning("server unreachable (%s): crossings wait on disk in %s", exc, self.journal.path)
                self.server_up = False
                self.stop.wait(delay)
                delay = min(delay * 2, MAX_RETRY_S)

    def _fail(self, why: str) -> None:
        """Stop for good: retrying cannot help (the reader exits nonzero with `why`)."""
        if self.failure is None:
            self.failure = why
            log.error("stopping: %s", why)
        self.stop.set()

    def _read(self, source: Source) -> None:
        try:
            source.run()
        except Exception as exc:  # a source that dies must not leave a reader that looks alive
            log.exception("the timer source failed")
            self._fail(f"the timer source failed ({exc.__class__.__name__}: {exc})")

    def run(self, source: Source) -> str | None:
        """Read and send until stopped; returns why the reader stopped by itself, or None."""
        sender = threading.Thread(target=self.send_forever, name="timer-sender", daemon=True)
        reader = threading.Thread(target=self._read, args=(source,), name="timer-source", daemon=True)
        sender.start()
        reader.start()
        try:
            while reader.is_alive() and not self.stop.is_set():
                self.stop.wait(0.5)
        finally:
            self.stop.set()
            reader.join(timeout=2)
            sender.join(timeout=SERVER_TIMEOUT_S + 1)
            self._say_goodbye(sender)
            self.journal.close()
        return self.failure

    def _say_goodbye(self, sender: threading.Thread) -> None:
        """Tell the server the reader is gone, so timekeeper pages show it at once (without
        this they see it when the heartbeat goes stale, STALE_S on the server)."""
        if sender.is_alive() or self.server_up is not True or self.failure is not None:
            return
        # If the server is gone too, the stale heartbeat tells the pages.
        with contextlib.suppress(OSError, http.client.HTTPException, ServerError, ValueError):
            self.api.status(False, "reader stopped")


# -- command line -------------------------------------------------------------------------------

def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--race", required=True, help="the race's id")
    device = parser.add_mutually_exclusive_group(required=True)
    device.add_argument("--serial", metavar="PORT", help="a serial port, e.g. /dev/ttyUSB0")
    device.add_argument("--drem-ws", metavar="URL", help="the DREM Pi timer's WebSocket, ws://…")
    device.add_argument("--socketio", metavar="URL", help="the community deepracer-timer, http://…:3000")
    parser.add_argument("--baud", type=int, default=115200, help="serial speed (default 115200)")
    parser.add_argument("--protocol", choices=("drem-json", "plain", "own"), default="drem-json",
                        help="serial line format (default drem-json)")
    parser.add_argument("--server", default=os.environ.get("RACE_SERVER", "http://127.0.0.1:8000"),
                        help="the race server (default $RACE_SERVER or http://127.0.0.1:8000)")
    parser.add_argument("--token", default=os.environ.get("TIMER_TOKEN"),
                        help="the timer's token from the organizer (default $TIMER_TOKEN)")
    parser.add_argument("--journal", default=os.environ.get("TIMER_JOURNAL", "var/timer-journal"),
                        help="where crossings wait until the server has them (default var/timer-journal)")
    parser.add_argument("--debounce", type=float, default=options.DEBOUNCE_WINDOW_S,
                        help="seconds during which further signals of a gate's sensors are bounces (default 1)")
    parser.add_argument("--sector", action="append", default=[], metavar="SENSORS",
                        help="a sector gate's sensor ids, comma-separated; repeat per gate in track order")


def require(module: str, what: str) -> None:
    """The source's library, or a message that says how to install it (exit nonzero)."""
    try:
        __import__(module)
    except ImportError:
        raise SystemExit(f"readtimer: {what} needs the {INSTALL[module]} package: "
                         f"pip install '{INSTALL[module]}'") from None


def check_serial_port(port: str) -> None:
    """A device path that does not exist at start-up is a typo or a timer not plugged in, not a
    pulled cable: say so and stop (a port that goes away later is reconnected to)."""
    if os.sep not in port:  # COM3 and the like: no path to look at
        return
    if not os.path.exists(port):
        raise SystemExit(f"readtimer: serial device {port} does not exist "
                         "(is the timer plugged in? `ls /dev/serial/by-id/` lists the ports)")
    if not os.access(port, os.R_OK | os.W_OK):
        raise SystemExit(f"readtimer: no permission to open serial device {port} "
                         "(on Linux, add yourself to the dialout group)")


def build(args) -> tuple[Reader, Source]:
    if not args.token:
        raise SystemExit("readtimer: give the timer's token (--token or $TIMER_TOKEN)")
    if args.debounce < 0:
        raise SystemExit("readtimer: --debounce must not be negative")
    if args.serial:
        require("serial", "reading a serial port")
        check_serial_port(args.serial)
    elif args.drem_ws:
        require("websockets", "the DREM timer's WebSocket")
    else:
        require("socketio", "the community timer's socket.io")
    gates = gate_map([[s.strip() for s in group.split(",") if s.strip()] for group in args.sector])
    reader = Reader(TimerApi(args.server, args.race, args.token), Journal(args.journal, args.race),
                    Debouncer(round(args.debounce * 1_000_000), gates))
    hooks = (reader.on_signal, reader.on_status, reader.stop)
    if args.serial:
        source: Source = SerialSource(args.serial, args.baud, args.protocol, *hooks)
    elif args.drem_ws:
        source = DremWebSocketSource(args.drem_ws, *hooks)
    else:
        source = SocketIOSource(args.socketio, *hooks)
    return reader, source


def configure_logging(verbose: bool) -> None:
    """INFO, or DEBUG with -v (every ignored line); the libraries' own chatter stays at INFO."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    log.setLevel(logging.DEBUG if verbose else logging.INFO)


def run(args) -> str | None:
    """Build and run the reader; returns why it stopped by itself (None: it was stopped)."""
    reader, source = build(args)
    try:
        return reader.run(source)
    except KeyboardInterrupt:
        reader.stop.set()
        return None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="readtimer", description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    parser.add_argument("-v", "--verbose", action="store_true", help="log every line the reader ignores")
    args = parser.parse_args(argv)
    configure_logging(args.verbose)
    failure = run(args)
    if failure:
        raise SystemExit(f"readtimer: {failure}")


__all__ = ["Reader", "TimerApi", "add_arguments", "build", "configure_logging", "main", "run"]

if __name__ == "__main__":
    main()
