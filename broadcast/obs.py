"""One OBS Studio, driven over obs-websocket v5 (obs-websocket-py) from one thread.

obs-websocket-py's calls are not safe to make from several threads on one connection, so every
request goes through `ObsDriver.submit()` to one worker thread that owns the connection, in order.
The worker connects, sets OBS up (the mapped scenes, the racer's text source, the overlays'
browser sources), carries out the actions, and when OBS goes away (closed, restarted, crashed)
reports it, connects again every `retry_s` and puts the scene that should be on air back.
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

from obswebsocket import obsws
from obswebsocket import requests as obs

from .automation import RACER_TEXT, Action

log = logging.getLogger(__name__)
OVERLAY_SIZE = (1920, 1080)
BROWSER_SOURCE = "browser_source"  # obs-browser's input kind
TEXT_SOURCE = "text_ft2_source_v2"  # the text source of OBS on Linux and macOS
WINDOWS_TEXT_SOURCE = "text_gdiplus_v2"


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


class ObsDriver:
    def __init__(self, url: str, password: str = "", *, scenes: tuple[str, ...] = (),
                 sources: tuple[BrowserSource, ...] = (), text_scene: str | None = None,
                 on_state: Callable[[str, str], None] | None = None,
                 on_status: Callable[[dict], None] | None = None, retry_s: float = 1.0,
                 timeout_s: float = 5.0) -> None:
        self.host, self.port = parse_obs_url(url)
        self.password = password
        self.scenes, self.sources, self.text_scene = scenes, sources, text_scene
        self.on_state = on_state or (lambda state, detail: None)
        self.on_status = on_status or (lambda status: None)
        self.retry_s, self.timeout_s = retry_s, timeout_s
        self.actions: queue.Queue = queue.Queue()
        self.ws: obsws | None = None
        self.on_air: str | None = None  # the scene that should be on air (put back after a reconnect)
        self.state = "offline"
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
                self.call(obs.StartStream())
            elif name == "stop_stream":
                self.call(obs.StopStream())
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
            status = self.call(obs.GetRecordStatus()).datain
            if status.get("outputActive"):
                self.call(obs.StopRecord())
                self._wait_record(active=False)
            self.call(obs.SetProfileParameter(parameterCategory="Output", parameterName="FilenameFormatting",
                                              parameterValue=action.value))
            self.call(obs.StartRecord())
        # a short turn may end before OBS has the recording going: wait for it, then stop it
        elif action.kind == "record_stop" and self._wait_record(active=True, timeout_s=3.0):
            self.call(obs.StopRecord())

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

    def _check_alive(self) -> None:
        """While idle: is OBS still there, and what does it show, stream and record?"""
        try:
            status = {
                "scene": self.call(obs.GetCurrentProgramScene()).datain.get("currentProgramSceneName", ""),
                "streaming": bool(self.call(obs.GetStreamStatus()).datain.get("outputActive")),
                "recording": bool(self.call(obs.GetRecordStatus()).datain.get("outputActive")),
            }
        except Exception as exc:
            log.warning("OBS does not answer (%s); reconnecting", exc)
            self._drop(f"OBS does not answer: {exc}")
            return
        try:
            self.on_status(status)
        except Exception:
            log.exception("could not report the OBS status")
