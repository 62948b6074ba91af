"""A real OBS Studio (obs-websocket v5) started headless under Xvfb, for tests and the bench.

Debian's build (recipe: ../shared/recipes/TESTING.md): scenes, text sources, scene switching,
recording and stream state work; it has no browser-source plugin. Each instance gets its own
HOME (OBS keeps its config there), a free port, a password and a recording folder, and is
stopped by the process id it was started with, never by name.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tests.services import free_port

PASSWORD = "racepass"


class ObsStudio:
    def __init__(self, port: int | None = None, password: str = PASSWORD) -> None:
        self.port = port or free_port()
        self.password = password
        self.home = Path(tempfile.mkdtemp(prefix="obs-home-"))
        self.recordings = self.home / "recordings"
        self.recordings.mkdir()
        self.proc: subprocess.Popen | None = None
        self._write_config()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def _write_config(self) -> None:
        config = self.home / ".config" / "obs-studio"
        (config / "basic" / "profiles" / "Race").mkdir(parents=True)
        (config / "basic" / "scenes").mkdir(parents=True)
        (config / "global.ini").write_text(
            "[General]\nFirstRun=true\nLastVersion=486539264\n\n"
            "[Basic]\nProfile=Race\nProfileDir=Race\nSceneCollection=Race\nSceneCollectionFile=Race\n\n"
            f"[OBSWebSocket]\nFirstLoad=false\nServerEnabled=true\nServerPort={self.port}\n"
            f"AlertsEnabled=false\nAuthRequired=true\nServerPassword={self.password}\n")
        # a tiny canvas and a fast encoder: recordings must be cheap on a shared machine
        (config / "basic" / "profiles" / "Race" / "basic.ini").write_text(
            "[General]\nName=Race\n\n"
            "[Video]\nBaseCX=320\nBaseCY=180\nOutputCX=320\nOutputCY=180\nFPSCommon=30\n\n"
            f"[SimpleOutput]\nFilePath={self.recordings}\nRecFormat2=mkv\nRecQuality=Stream\n"
            "RecEncoder=x264\nStreamEncoder=x264\nVBitrate=300\n\n"
            "[Output]\nMode=Simple\n")

    def start(self, wait_s: float = 60.0) -> ObsStudio:
        env = {**os.environ, "HOME": str(self.home), "LIBGL_ALWAYS_SOFTWARE": "1"}
        self.log = open(self.home / "obs.log", "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            ["xvfb-run", "-a", "-s", "-screen 0 1280x720x24", "obs", "--disable-shutdown-check",
             "--minimize-to-tray", "--multi"],
            env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"OBS exited with {self.proc.returncode}: see {self.home / 'obs.log'}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), 0.5):
                    time.sleep(0.5)  # the websocket server accepts a moment after it listens
                    return self
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"OBS did not listen on {self.port} within {wait_s:.0f} s")

    def stop(self) -> None:
        """Stop OBS and its Xvfb: the session started for them, by its process group id."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(15)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)
        self.proc = None
        self.log.close()

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)
