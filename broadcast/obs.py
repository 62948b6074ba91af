"""One OBS Studio, driven over obs-websocket v5 (obs-websocket-py) from one thread.

obs-websocket-py's calls are not safe to make from several threads on one connection, so every
request goes through `ObsDriver.submit()` to one worker thread that owns the connection, in order.
The worker connects, sets OBS up (the mapped scenes, the racer's text source, the overlays'
browser sources), carries out the actions, and when OBS goes away (closed, restarted, crashed)
reports it, connects again every `retry_s` and puts the scene that should be on air back.

Streaming goes to whatever stream service the producer set in OBS (Settings → Stream: the server
and the stream key stay in OBS, never here). StartStream only asks OBS to connect: whether the
stream really started comes later, as OBS's StreamStateChanged events (STARTING, then STARTED, or
STOPPED when the server refused). obs-websocket v5 does not carry the output's error (that is in
OBS's log), so the producer is told what OBS does say: the server it tried, and that it stopped
before streaming or is still connecting after `STREAM_START_TIMEOUT_S`.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlparse

from obswebsocket import events, obsws
from obswebsocket import requests as obs

from .automation import RACER_TEXT, Action

log = logging.getLogger(__name__)
OVERLAY_SIZE = (1920, 1080)
BROWSER_SOURCE = "browser_source"  # obs-browser's input kind
TEXT_SOURCE = "text_ft2_source_v2"  # the text source of OBS on Linux and macOS
WINDOWS_TEXT_SOURCE = "text_gdiplus_v2"
STREAM_START_TIMEOUT_S = 20.0  # OBS still connecting after this: the producer is told, not left waiting
# A turn's recording not going after this is a recording OBS will not make: told to the producer.
# (OBS answers StartRecord with success even when its output then fails, e.g. a recording folder
# that is gone: only the recording status tells.) The worker waits for it, so a failing start
# holds the next switch at most this long.
RECORD_START_TIMEOUT_S = 5.0
STARTED, STOPPED = "OBS_WEBSOCKET_OUTPUT_STARTED", "OBS_WEBSOCKET_OUTPUT_STOPPED"


class ObsRefused(Exception):
    """OBS answered a request with a failure."""


@dataclass(frozen=True)
class BrowserSource:
    scene: str
    name: str
    url: str
    width: int = OVERLAY_SIZE[0]
    height: int = OVERLAY_SIZE[1]


def parse_obs_url(url: str) -> tuple[str, int]:
    """host and port of `ws://HOST:PORT`; ValueError naming what is wrong."""
    parsed = urlparse(url)
    if parsed.scheme not in ("ws", "wss") or not parsed.hostname:
        raise ValueError(f"--obs must look like ws://HOST:4455, not {url!r}")
    try:
        port = parsed.port or 4455
    except ValueError:
        raise ValueError(f"--obs has a bad port: {url!r}") from None
    return parsed.hostname, port


def stream_target(service: dict) -> str | None:
    """Where OBS streams to, for the producer's eyes (never the stream key), from
    GetStreamServiceSettings; None when OBS has nowhere set (it would fail at once)."""
    kind = service.get("streamServiceType", "")
    settings = service.get("streamServiceSettings") or {}
    if kind == "rtmp_common":  # a listed service (Twitch, YouTube, ...): it needs its key
        return settings.get("service") if settings.get("service") and settings.get("key") else None
    server = str(settings.get("server") or "")
    if not server:
        return None
    parsed = urlparse(server)
    if parsed.hostname:  # without credentials or a query a server URL may carry
        return f"{parsed.scheme}://{parsed.hostname}{f':{parsed.port}' if parsed.port else ''}{parsed.path}"
    return server


class ObsDriver:
    def __init__(self, url: str, password: str = "", *, scenes: tuple[str, ...] = (),
                 sources: tuple[BrowserSource, ...] = (), text_scene: str | None = None,
                 on_state: Callable[[str, str], None] | None = None,
                 on_status: Callable[[dict], None] | None = None,
                 on_stream: Callable[[str], None] | None = None,
                 on_record: Callable[[str], None] | None = None, retry_s: float = 1.0,
                 timeout_s: float = 5.0) -> None:
        self.host, self.port = parse_obs_url(url)
        self.password = password
        self.scenes, self.sources, self.text_scene = scenes, sources, text_scene
        self.on_state = on_state or (lambda state, detail: None)
        self.on_status = on_status or (lambda status: None)
        self.on_stream = on_stream or (lambda detail: None)  # what became of Start / Stop streaming
        self.on_record = on_record or (lambda detail: None)  # what became of a turn's recording
        self.retry_s, self.timeout_s = retry_s, timeout_s
        self.actions: queue.Queue = queue.Queue()
        self.ws: obsws | None = None
        self.on_air: str | None = None  # the scene that should be on air (put back after a reconnect)
        self.state = "offline"
        self.stream_detail = ""
        self.record_detail = ""
        self._recording: str | None = None  # the turn's recording OBS started (its name)
        self._stream_to: str | None = None  # where the producer's Start streaming goes
        self._stream_asked: float | None = None  # when it was sent, until OBS says STARTED or STOPPED
        self._stream_stopping = False
        self._stream_late = False  # the producer was told OBS is still connecting
        self.sent: deque[tuple[str, dict]] = deque(maxlen=2000)  # the requests sent lately (tests read them)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._work, name="obs-driver", daemon=True)

    # -- the caller's side (any thread) ------------------------------------------------------

    def start(self) -> ObsDriver:
        self._thread.start()
        return self

    def submit(self, action: Action | tuple) -> None:
        self.actions.put(action)

    def stop(self) -> None:
        self._stop.set()
        self.actions.put(None)
        self._thread.join(10)

    # -- the worker --------------------------------------------------------------------------

    def _report_stream(self, detail: str) -> None:
        self.stream_detail = detail
        try:
            self.on_stream(detail)
        except Exception:
            log.exception("could not report the stream's state")
        log.info("stream: %s", detail)

    def _report_record(self, detail: str) -> None:
        self.record_detail = detail
        try:
            self.on_record(detail)
        except Exception:
            log.exception("could not report the recording's state")
        (log.warning if detail.startswith("Not recording") else log.info)("recording: %s", detail)

    def _report(self, state: str, detail: str = "") -> None:
        self.state = state
        try:
            self.on_state(state, detail)
        except Exception:
            log.exception("could not report the OBS connection state")

    def call(self, request):
        """One request on the connection (worker thread only); ObsRefused if OBS says no."""
        self.sent.append((request.name, request.data()))
        answer = self.ws.call(request)
        if not answer.status:
            raise ObsRefused(f"OBS refused {request.name} {request.data()}")
        return answer

    def _connect(self) -> bool:
        ws = obsws(self.host, self.port, self.password, timeout=self.timeout_s)
        try:
            ws.connect()
        except Exception as exc:  # refused, reset, bad password: all mean "not yet"
            if self.state != "connecting":
                self._report("connecting", f"cannot reach OBS at {self.host}:{self.port} ({exc})")
            return False
        self.ws = ws
        # obs-websocket-py calls this on its receive thread: it only queues, the worker acts
        ws.register(lambda event: self.actions.put(("stream_state", event.datain.get("outputState", ""))),
                    events.StreamStateChanged)
        try:
            self._set_up()
        except Exception as exc:
            log.warning("OBS set-up failed: %s", exc)
            self._drop(f"set-up failed: {exc}")
            return False
        self._report("connected", f"OBS {self.host}:{self.port}")
        return True

    def _drop(self, why: str) -> None:
        ws, self.ws = self.ws, None
        if self._stream_asked is not None or self._stream_stopping:  # its answer is lost with the connection
            self._stream_asked, self._stream_stopping = None, False
            self._report_stream("Unknown: the connection to OBS was lost while streaming started or "
                                "stopped; whether OBS streams shows again once it is back.")
        if ws is not None:
            with contextlib.suppress(Exception):
                ws.disconnect()
        self._report("connecting", why)

    def _set_up(self) -> None:
        have = {s["sceneName"] for s in self.call(obs.GetSceneList()).datain.get("scenes", [])}
        for scene in self.scenes:
            if scene and scene not in have:
                self.call(obs.CreateScene(sceneName=scene))
        if self.text_scene:
            platform = self.call(obs.GetVersion()).datain.get("platform", "")
            kind = WINDOWS_TEXT_SOURCE if platform == "windows" else TEXT_SOURCE
            try:
                self.ensure_input(self.text_scene, RACER_TEXT, kind, {"text": ""})
            except ObsRefused:  # the racer's name is a nicety: the scenes must switch anyway
                log.warning("OBS refused a text source (%s) named %r in %r: the racer's name is not shown",
                            kind, RACER_TEXT, self.text_scene)
        problems = []
        for source in self.sources:
            try:
                self.ensure_browser_source(source)
            except ObsRefused:
                problems.append(source.name)
        if problems:
            log.warning("OBS has no browser source (input kind %s, the obs-browser plugin): %s not "
                        "created; add them by hand or install OBS with obs-browser", BROWSER_SOURCE,
                        ", ".join(problems))
        if self.on_air:
            self.call(obs.SetCurrentProgramScene(sceneName=self.on_air))

    def ensure_input(self, scene: str, name: str, kind: str, settings: dict) -> None:
        """Create the input in `scene`, or update the settings of the one that exists."""
        found = self.ws.call(obs.GetInputSettings(inputName=name))
        self.sent.append(("GetInputSettings", {"inputName": name}))
        if found.status:
            self.call(obs.SetInputSettings(inputName=name, inputSettings=settings, overlay=True))
        else:
            self.call(obs.CreateInput(sceneName=scene, inputName=name, inputKind=kind,
                                      inputSettings=settings, sceneItemEnabled=True))

    def ensure_browser_source(self, source: BrowserSource) -> None:
        self.ensure_input(source.scene, source.name, BROWSER_SOURCE,
                          {"url": source.url, "width": source.width, "height": source.height})
        self.refresh(source.name)

    def refresh(self, name: str) -> None:
        """Reload a browser source's page, skipping its cache."""
        self.call(obs.PressInputPropertiesButton(inputName=name, propertyName="refreshnocache"))

    def _perform(self, action) -> None:
        if isinstance(action, tuple):  # a producer's command: (name, argument)
            name, _ = action
            if name == "start_stream":
                self._start_stream()
            elif name == "stop_stream":
                self._stop_stream()
            elif name == "stream_state":
                self._stream_state(action[1])
            elif name == "setup":
                self._set_up()
            elif name == "refresh_sources":
                for source in self.sources:
                    self.ensure_browser_source(source)
            elif name == "scene":
                self.on_air = action[1]
                self.call(obs.SetCurrentProgramScene(sceneName=action[1]))
            return
        if action.kind == "scene":
            self.on_air = action.value
            self.call(obs.SetCurrentProgramScene(sceneName=action.value))
        elif action.kind == "text":
            self.call(obs.SetInputSettings(inputName=action.target, inputSettings={"text": action.value},
                                           overlay=True))
        elif action.kind == "record_start":
            self._start_recording(action.value)
        elif action.kind == "record_stop":
            self._stop_recording()

    def _start_recording(self, name: str) -> None:
        """A turn's recording, named by race, racer and run; started, or the producer told why not."""
        self._recording = None
        if self.call(obs.GetRecordStatus()).datain.get("outputActive"):
            self.call(obs.StopRecord())
            self._wait_record(active=False)
        try:
            self.call(obs.SetProfileParameter(parameterCategory="Output", parameterName="FilenameFormatting",
                                              parameterValue=name))
            self.call(obs.StartRecord())
        except ObsRefused as exc:
            self._report_record(f"Not recording {name}: {exc} (does OBS have a recording output? "
                                "Settings → Output → Recording).")
            return
        if not self._wait_record(active=True, timeout_s=RECORD_START_TIMEOUT_S):
            self._report_record(
                f"Not recording {name}: OBS did not start recording within {RECORD_START_TIMEOUT_S:.0f} s "
                f"(is its recording folder{self._record_folder()} there and writable, is the disk full? "
                "OBS's log, Help → Log Files, has its error).")
            return
        self._recording = name
        self._report_record(f"Recording {name}.")

    def _stop_recording(self) -> None:
        name, self._recording = self._recording, None
        if name is None:  # no recording was made: that was said when it did not start
            return
        if not self.call(obs.GetRecordStatus()).datain.get("outputActive"):
            self._report_record(f"Not recording {name}: OBS's recording stopped before the turn ended "
                                "(stopped in OBS by hand, or its output failed: OBS's log has why).")
            return
        self.call(obs.StopRecord())
        self._report_record(f"Recorded {name}{self._record_folder(' in ')}.")

    def _record_folder(self, prefix: str = " ") -> str:
        """Where OBS records, for the producer's eyes (empty if OBS does not say)."""
        try:
            folder = self.call(obs.GetRecordDirectory()).datain.get("recordDirectory", "")
        except ObsRefused:
            return ""
        return f"{prefix}{folder}" if folder else ""

    def _start_stream(self) -> None:
        if self.call(obs.GetStreamStatus()).datain.get("outputActive"):
            self._report_stream(f"Streaming to {self._stream_to or 'the server set in OBS'}.")
            return
        target = stream_target(self.call(obs.GetStreamServiceSettings()).datain)
        if target is None:  # OBS would fail at once, with nothing but a line in its log
            self._report_stream("Not streaming: OBS has no stream server or stream key set "
                                "(in OBS: Settings → Stream).")
            return
        self._stream_to, self._stream_asked = target, time.monotonic()
        self._stream_stopping = self._stream_late = False
        self._report_stream(f"Starting: OBS is connecting to {target}.")
        try:
            self.call(obs.StartStream())
        except ObsRefused:
            self._stream_asked = None
            self._report_stream(f"Not streaming: OBS refused to start streaming to {target}.")

    def _stop_stream(self) -> None:
        if not self.call(obs.GetStreamStatus()).datain.get("outputActive") and self._stream_asked is None:
            self._report_stream("Not streaming.")
            self._push_status()
            return
        self._stream_stopping, self._stream_asked = True, None
        try:
            self.call(obs.StopStream())
        except ObsRefused:  # it stopped by itself in between
            self._stream_stopping = False
            self._report_stream("Not streaming.")
            self._push_status()

    def _stream_state(self, state: str) -> None:
        """OBS's StreamStateChanged, in the order OBS sent it."""
        target = self._stream_to or "the server set in OBS"
        if state == STARTED:
            self._stream_asked = None
            self._report_stream(f"Streaming to {target}.")
        elif state == STOPPED:
            if self._stream_asked is not None:  # it never started: the server refused or failed
                self._report_stream(
                    f"Not streaming: OBS could not stream to {target}: it stopped before the stream "
                    "started (server down or refusing, or a wrong stream key; OBS's log, Help → Log "
                    "Files, has its error).")
            elif self._stream_stopping:
                self._report_stream("Streaming stopped.")
            else:
                self._report_stream("Streaming stopped in OBS (by hand, or the server went away).")
            self._stream_asked, self._stream_stopping = None, False
        else:
            return  # STARTING, STOPPING: the next state says how it went
        self._push_status()

    def _wait_record(self, active: bool, timeout_s: float = 5.0) -> bool:
        """Wait until OBS's recording is (or is not) running; whether it came to be."""
        deadline = time.monotonic() + timeout_s
        while True:
            if bool(self.call(obs.GetRecordStatus()).datain.get("outputActive")) == active:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)

    def _work(self) -> None:
        while not self._stop.is_set():
            if self.ws is None and not self._connect():
                self._stop.wait(self.retry_s)
                continue
            try:
                action = self.actions.get(timeout=self.retry_s)
            except queue.Empty:
                self._check_alive()
                continue
            if action is None:
                break
            try:
                self._perform(action)
            except ObsRefused as exc:
                log.warning("%s", exc)
            except Exception as exc:  # MessageTimeout, a closed socket, ...
                # the connection is gone: the scene is put back on air once OBS is back
                log.warning("OBS connection lost (%s: %s); reconnecting", type(exc).__name__, exc)
                self._drop(f"connection lost: {exc}")
        if self.ws is not None:
            with contextlib.suppress(Exception):
                self.ws.disconnect()
        self._report("offline", "obs_control stopped")

    def _push_status(self) -> None:
        """What OBS shows, streams and records, to the caller (raises if OBS does not answer)."""
        status = {
            "scene": self.call(obs.GetCurrentProgramScene()).datain.get("currentProgramSceneName", ""),
            "streaming": bool(self.call(obs.GetStreamStatus()).datain.get("outputActive")),
            "recording": bool(self.call(obs.GetRecordStatus()).datain.get("outputActive")),
        }
        try:
            self.on_status(status)
        except Exception:
            log.exception("could not report the OBS status")

    def _check_alive(self) -> None:
        """While idle: is OBS still there, and what does it show, stream and record?"""
        try:
            self._push_status()
        except Exception as exc:
            log.warning("OBS does not answer (%s); reconnecting", exc)
            self._drop(f"OBS does not answer: {exc}")
            return
        if (self._stream_asked is not None and not self._stream_late
                and time.monotonic() - self._stream_asked > STREAM_START_TIMEOUT_S):
            self._stream_late = True  # STARTED or STOPPED may still come, and are told then
            self._report_stream(f"Not streaming yet: OBS is still connecting to {self._stream_to} after "
                                f"{STREAM_START_TIMEOUT_S:.0f} s (is the server reachable from OBS?).")
