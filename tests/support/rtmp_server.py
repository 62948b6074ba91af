"""A minimal RTMP ingest on 127.0.0.1, enough for OBS Studio's own RTMP output to stream to it.

What a streaming service does for a publisher, and no more: the handshake (C0/C1 -> S0/S1/S2,
then C2; a zero version in S1 keeps librtmp on the plain handshake), the chunk stream (the
client's chunk size, the four message-header formats, extended timestamps), the replies the
publisher waits for (`connect` -> `_result` NetConnection.Connect.Success, `createStream` ->
`_result` with a stream id, `publish` -> onStatus NetStream.Publish.Start) and then it counts the
audio/video/data bytes OBS sends. A publish with another stream key is answered
NetStream.Publish.BadName and the connection closed, as a service does with a wrong key.
"""

from __future__ import annotations

import contextlib
import os
import socket
import struct
import threading

from tests.services import free_port

SIG_SIZE = 1536
MEDIA_TYPES = {8, 9, 18}  # audio, video, data (@setDataFrame onMetaData)


class Amf0:
    """The AMF0 values RTMP commands carry (numbers, booleans, strings, objects, null)."""

    @staticmethod
    def encode(value) -> bytes:
        if value is None:
            return b"\x05"
        if isinstance(value, bool):
            return b"\x01" + bytes([value])
        if isinstance(value, (int, float)):
            return b"\x00" + struct.pack(">d", value)
        if isinstance(value, str):
            data = value.encode()
            return b"\x02" + struct.pack(">H", len(data)) + data
        if isinstance(value, dict):
            body = b"".join(struct.pack(">H", len(k)) + k.encode() + Amf0.encode(v) for k, v in value.items())
            return b"\x03" + body + b"\x00\x00\x09"
        raise TypeError(f"no AMF0 for {value!r}")

    @staticmethod
    def decode_all(data: bytes) -> list:
        values, at = [], 0
        while at < len(data):
            value, at = Amf0._decode(data, at)
            values.append(value)
        return values

    @staticmethod
    def _decode(data: bytes, at: int):
        marker = data[at]
        at += 1
        if marker == 0x00:
            return struct.unpack_from(">d", data, at)[0], at + 8
        if marker == 0x01:
            return bool(data[at]), at + 1
        if marker == 0x02:
            (size,) = struct.unpack_from(">H", data, at)
            return data[at + 2:at + 2 + size].decode(errors="replace"), at + 2 + size
        if marker in (0x03, 0x08):  # object, ECMA array (4-byte count, then as an object)
            if marker == 0x08:
                at += 4
            found = {}
            while data[at:at + 3] != b"\x00\x00\x09":
                (size,) = struct.unpack_from(">H", data, at)
                key = data[at + 2:at + 2 + size].decode(errors="replace")
                found[key], at = Amf0._decode(data, at + 2 + size)
            return found, at + 3
        if marker in (0x05, 0x06):  # null, undefined
            return None, at
        raise ValueError(f"AMF0 marker {marker:#x} not handled")


class _Chunks:
    """One connection's chunk stream, both ways."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.in_chunk_size = 128
        self.streams: dict[int, dict] = {}  # chunk stream id -> the last header and a partial message

    def read(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            part = self.sock.recv(size - len(data))
            if not part:
                raise ConnectionError("the publisher closed the connection")
            data += part
        return data

    def message(self) -> tuple[int, int, bytes]:
        """The next whole message: (type, message stream id, payload)."""
        while True:
            first = self.read(1)[0]
            fmt, csid = first >> 6, first & 0x3F
            if csid == 0:
                csid = 64 + self.read(1)[0]
            elif csid == 1:
                low, high = self.read(2)
                csid = 64 + low + high * 256
            stream = self.streams.setdefault(csid, {"length": 0, "type": 0, "msid": 0, "extended": False,
                                                    "body": b""})
            if fmt <= 2:
                header = self.read((11, 7, 3)[fmt])
                timestamp = int.from_bytes(header[0:3], "big")
                if fmt <= 1:
                    stream["length"] = int.from_bytes(header[3:6], "big")
                    stream["type"] = header[6]
                if fmt == 0:
                    stream["msid"] = struct.unpack("<I", header[7:11])[0]
                stream["extended"] = timestamp == 0xFFFFFF
            if stream["extended"]:
                self.read(4)
            wanted = min(self.in_chunk_size, stream["length"] - len(stream["body"]))
            stream["body"] += self.read(wanted)
            if len(stream["body"]) >= stream["length"]:
                body, stream["body"] = stream["body"], b""
                if stream["type"] == 1:  # Set Chunk Size: it applies to what follows at once
                    self.in_chunk_size = struct.unpack(">I", body[:4])[0] & 0x7FFFFFFF
                    continue
                return stream["type"], stream["msid"], body

    def send(self, csid: int, kind: int, msid: int, body: bytes) -> None:
        out = bytes([csid]) + (0).to_bytes(3, "big") + len(body).to_bytes(3, "big") + bytes([kind])
        out += struct.pack("<I", msid) + body[:128]
        for at in range(128, len(body), 128):  # our chunk size stays the default 128
            out += bytes([0xC0 | csid]) + body[at:at + 128]
        self.sock.sendall(out)

    def command(self, msid: int, *values) -> None:
        self.send(3, 20, msid, b"".join(Amf0.encode(v) for v in values))


class RtmpIngest:
    """Listens on 127.0.0.1 and takes one publish at a time under `app`/`key`."""

    def __init__(self, app: str = "live", key: str = "race-key", port: int | None = None) -> None:
        self.app, self.key = app, key
        self.port = port or free_port()
        self.published: list[str] = []  # the stream keys accepted, in order
        self.refused: list[str] = []  # the stream keys answered BadName
        self.media_bytes = 0
        self._listener: socket.socket | None = None
        self._connections: list[socket.socket] = []
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"rtmp://127.0.0.1:{self.port}/{self.app}"

    def start(self) -> RtmpIngest:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(4)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), name="rtmp-accept", daemon=True).start()
        return self

    def stop(self) -> None:
        """Close the port (a publisher now gets "connection refused") and every connection."""
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self._lock:
            for conn in self._connections:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
                conn.close()
            self._connections.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with self._lock:
                self._connections.append(conn)
            threading.Thread(target=self._serve, args=(conn,), name="rtmp-conn", daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        chunks = _Chunks(conn)
        with contextlib.suppress(OSError, ConnectionError, ValueError):
            c0c1 = chunks.read(1 + SIG_SIZE)
            # S1: time, a zero version (the plain handshake), random; S2 echoes C1
            conn.sendall(b"\x03" + bytes(8) + os.urandom(SIG_SIZE - 8) + c0c1[1:])
            chunks.read(SIG_SIZE)  # C2
            while True:
                kind, msid, body = chunks.message()
                if kind in MEDIA_TYPES:
                    self.media_bytes += len(body)
                elif kind == 20 and self._command(chunks, msid, Amf0.decode_all(body)) == "close":
                    break
        with contextlib.suppress(OSError):
            conn.close()

    def _command(self, chunks: _Chunks, msid: int, values: list) -> str | None:
        name, transaction = values[0], values[1] if len(values) > 1 else 0
        if name == "connect":
            chunks.send(2, 5, 0, struct.pack(">I", 2_500_000))  # window acknowledgement size
            chunks.send(2, 6, 0, struct.pack(">IB", 2_500_000, 2))  # peer bandwidth, dynamic
            chunks.command(0, "_result", transaction, {"fmsVer": "FMS/3,5,7,7009", "capabilities": 31},
                           {"level": "status", "code": "NetConnection.Connect.Success",
                            "description": "Connection succeeded.", "objectEncoding": 0})
        elif name == "createStream":
            chunks.command(0, "_result", transaction, None, 1)
        elif name == "publish":
            key = str(values[3]) if len(values) > 3 else ""
            if key != self.key:
                self.refused.append(key)
                chunks.command(msid, "onStatus", 0, None, {"level": "error", "code": "NetStream.Publish.BadName",
                                                           "description": "Unknown stream key."})
                return "close"
            self.published.append(key)
            chunks.send(2, 4, 0, struct.pack(">HI", 0, msid))  # user control: stream begin
            chunks.command(msid, "onStatus", 0, None, {"level": "status", "code": "NetStream.Publish.Start",
                                                       "description": f"Publishing {key}."})
        return None
