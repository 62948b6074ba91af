"""Store and forward: the reader's crossings on disk until the server has acknowledged them.

Plain Python. Every crossing is appended to `<dir>/<race>.jsonl` before anything is sent, with
the journal's session id and a sequence number (written through to the operating system, so a
crash of the reader loses nothing); the server's acknowledgement (`last_seq`) is written to
`<race>.acked`. The file is fsynced (safe from a power cut too) as soon as a delivery fails, i.e.
whenever crossings have to wait: a crossing the server acknowledged within milliseconds does not
pay a disk flush (4–15 ms on an SD card or a busy disk) on the way to the timekeeper's screen. After a crash, a pulled network cable or a database
restart, whatever is above the acknowledged number is sent again, in order, with its device
timestamps; the server counts a (session, seq) once, so a batch sent twice is harmless.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from pathlib import Path


class Journal:
    def __init__(self, directory: str | Path, race_id: str):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        safe = "".join(ch for ch in str(race_id) if ch.isalnum() or ch in "-_")[:64] or "race"
        self.path = self.dir / f"{safe}.jsonl"
        self.acked_path = self.dir / f"{safe}.acked"
        session_path = self.dir / f"{safe}.session"
        if not session_path.exists():
            session_path.write_text(secrets.token_hex(8))
        self.session = session_path.read_text().strip()
        self._lock = threading.Lock()
        self._pending: list[dict] = []
        self._acked = int(self.acked_path.read_text() or 0) if self.acked_path.exists() else 0
        self._seq = self._acked
        if self.path.exists():
            for line in self.path.read_text().splitlines():
                try:
                    item = json.loads(line)
                except ValueError:  # a line cut by a power loss: it was never acknowledged either
                    continue
                self._seq = max(self._seq, item["seq"])
                if item["seq"] > self._acked:
                    self._pending.append(item)
        self._file = self.path.open("a", encoding="utf-8")

    def append(self, gate: int, sensor: str, device_us: int, seen_ms: float) -> dict:
        with self._lock:
            self._seq += 1
            item = {"seq": self._seq, "gate": gate, "sensor": sensor, "device_us": device_us,
                    "seen_ms": round(seen_ms, 3)}
            self._file.write(json.dumps(item, separators=(",", ":")) + "\n")
            self._file.flush()
            self._pending.append(item)
            return item

    def sync(self) -> None:
        """Make the waiting crossings safe from a power cut."""
        with self._lock:
            os.fsync(self._file.fileno())

    def pending(self, limit: int = 200) -> list[dict]:
        with self._lock:
            return list(self._pending[:limit])

    def acknowledge(self, last_seq: int) -> None:
        with self._lock:
            self._pending = [item for item in self._pending if item["seq"] > last_seq]
            self._acked = max(self._acked, last_seq)
            tmp = self.acked_path.with_suffix(".tmp")
            tmp.write_text(str(self._acked))
            os.replace(tmp, self.acked_path)

    @property
    def acked(self) -> int:
        return self._acked

    def close(self) -> None:
        self.sync()
        self._file.close()
