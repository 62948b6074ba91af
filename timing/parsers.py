"""What lap sensors say, byte by byte: every wire format a timer speaks, turned into `Signal`s.

Plain Python (no Django): the reader (`timing/reader.py`) runs on a Raspberry Pi with nothing
but pyserial installed. Every parser takes whatever arrived — bytes, text or a decoded socket.io
argument — and returns a `Signal`, or None for anything that is not a crossing (a boot banner,
noise, a keep-alive, a half line after a cable was plugged in). A parser never raises on input:
a timer box that prints garbage must not stop the reader.

Formats:

- ``drem-json`` (serial lines and the DREM Pi timer's WebSocket messages):
  ``{"event":"lap","timestamp":<device ms>,"gpio":17,"lapNumber":15}``. ``timestamp`` is the
  device clock in ms, ``gpio`` the sensor. Other events are not crossings.
- ``plain``: the bare line ``lap`` of older timers; it carries no clock, so the reader stamps it
  with its own monotonic clock on arrival.
- ``own`` (our line format for microcontroller firmware), one crossing per line, ASCII::

      X <sensor> <device_us>[ *<checksum>]

  ``sensor`` is 1–16 of ``A-Z a-z 0-9 _ -``, ``device_us`` the firmware's free-running clock in
  microseconds (decimal, < 2**63; ``micros()`` on an Arduino wraps after 71 minutes, so firmware
  should extend it to 64 bits). The optional checksum is the XOR of every byte before `` *`` as
  two hex digits, as in NMEA; a line whose checksum is wrong is dropped. Lines starting with
  ``#`` are comments (boot banners, diagnostics). Example: ``X 17 123456789 *5B``.
- socket.io (the community deepracer-timer): the ``timer`` event with the value ``passed``; it
  too carries no clock.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

MAX_LINE = 512  # bytes: a longer "line" is noise (or a port at the wrong baud rate)
LINE_SENSOR = "line"  # the sensor id of a timer that does not say which strip fired
PROTOCOLS = ("drem-json", "plain", "own")
MAX_DEVICE_US = 2**63 - 1

_SENSOR = re.compile(r"[A-Za-z0-9_-]{1,16}")
_OWN = re.compile(rb"X ([A-Za-z0-9_-]{1,16}) ([0-9]{1,19})(?: \*([0-9A-Fa-f]{2}))?")


@dataclass(frozen=True)
class Signal:
    """One sensor firing, as the device reported it.

    `device_us` is the device's own clock in µs, or None when the format carries none (the
    reader then stamps it on arrival)."""

    sensor: str
    device_us: int | None = None


def _text(data: bytes | str) -> str | None:
    if isinstance(data, str):
        return data if len(data) <= MAX_LINE else None
    if not isinstance(data, bytes | bytearray) or len(data) > MAX_LINE:
        return None
    try:
        return bytes(data).decode("utf-8")
    except UnicodeDecodeError:
        return None


def _sensor(value: object) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        value = str(value)
    if isinstance(value, str) and _SENSOR.fullmatch(value):
        return value
    return None


def drem_event(message: object) -> Signal | None:
    """A decoded DREM message (dict) → Signal, for `"event": "lap"` with a usable timestamp."""
    if not isinstance(message, dict) or message.get("event") != "lap":
        return None
    stamp = message.get("timestamp")
    if isinstance(stamp, bool) or not isinstance(stamp, int | float):
        return None
    if not math.isfinite(stamp) or stamp < 0 or stamp * 1000 > MAX_DEVICE_US:
        return None
    sensor = _sensor(message.get("gpio", LINE_SENSOR)) if "gpio" in message else LINE_SENSOR
    if sensor is None:
        return None
    return Signal(sensor, round(stamp * 1000))


def parse_drem_json(data: bytes | str) -> Signal | None:
    """A DREM JSON line or WebSocket message."""
    text = _text(data)
    if text is None:
        return None
    try:
        message = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return drem_event(message)


def parse_plain(data: bytes | str) -> Signal | None:
    """The bare ``lap`` line (case and surrounding whitespace ignored)."""
    text = _text(data)
    if text is None or text.strip().lower() != "lap":
        return None
    return Signal(LINE_SENSOR)


def own_checksum(body: bytes) -> str:
    value = 0
    for byte in body:
        value ^= byte
    return f"{value:02X}"


def own_line(sensor: str, device_us: int, checksum: bool = True) -> bytes:
    """Our line format, as firmware writes it (for tests, the bench and firmware authors)."""
    body = f"X {sensor} {device_us}".encode()
    return body + (f" *{own_checksum(body)}".encode() if checksum else b"") + b"\n"


def parse_own(data: bytes | str) -> Signal | None:
    """One line of our format (see the module's doc)."""
    if isinstance(data, str):
        try:
            data = data.encode("ascii")
        except UnicodeEncodeError:
            return None
    if not isinstance(data, bytes | bytearray) or len(data) > MAX_LINE:
        return None
    match = _OWN.fullmatch(bytes(data).strip(b" \t\r\n"))
    if match is None:
        return None
    sensor, micros, check = match.groups()
    if check is not None:
        body = match.group(0).rsplit(b" *", 1)[0]
        if own_checksum(body) != check.decode().upper():
            return None
    device_us = int(micros)
    if device_us > MAX_DEVICE_US:
        return None
    return Signal(sensor.decode(), device_us)


def parse_socketio_timer(value: object) -> Signal | None:
    """The deepracer-timer's ``timer`` event argument: ``"passed"`` is a crossing."""
    if isinstance(value, dict):
        value = value.get("value")
    if isinstance(value, bytes | bytearray):
        value = _text(value)
    if isinstance(value, str) and value.strip() == "passed":
        return Signal(LINE_SENSOR)
    return None


LINE_PARSERS = {"drem-json": parse_drem_json, "plain": parse_plain, "own": parse_own}


def line_parser(protocol: str):
    try:
        return LINE_PARSERS[protocol]
    except KeyError:
        raise ValueError(f"unknown protocol {protocol!r}: use one of {', '.join(PROTOCOLS)}") from None


class LineSplitter:
    """Bytes as they come off a serial port → complete lines (LF or CR LF), at most `MAX_LINE`
    each: a line longer than that is dropped up to its end, so a stream of garbage cannot grow
    memory; a partial line is kept until its end arrives or `reset()` (a reconnect) drops it."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._overflow = False

    def reset(self) -> None:
        self._buffer.clear()
        self._overflow = False

    def feed(self, chunk: bytes) -> list[bytes]:
        lines = []
        for piece in re.split(rb"(\n)", bytes(chunk)):
            if piece == b"\n":
                if not self._overflow:
                    lines.append(bytes(self._buffer).rstrip(b"\r"))
                self._buffer.clear()
                self._overflow = False
            elif piece and not self._overflow:
                self._buffer += piece
                if len(self._buffer) > MAX_LINE:
                    self._buffer.clear()
                    self._overflow = True
        return lines
