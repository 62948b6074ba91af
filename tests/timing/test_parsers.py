"""Every wire format a lap timer speaks; every parser fuzzed with arbitrary bytes."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from timing.parsers import (
    LINE_SENSOR,
    LineSplitter,
    Signal,
    own_line,
    parse_drem_json,
    parse_own,
    parse_plain,
    parse_socketio_timer,
)

PARSERS = (parse_drem_json, parse_plain, parse_own, parse_socketio_timer)


def test_drem_json_line_gives_the_gpio_and_the_device_clock_in_us():
    line = b'{"event":"lap","timestamp":1700000000123,"gpio":17,"lapNumber":15}'
    assert parse_drem_json(line) == Signal("17", 1700000000123000)


def test_drem_messages_that_are_not_laps_are_not_crossings():
    assert parse_drem_json(b'{"event":"status","timestamp":1}') is None
    assert parse_drem_json(b'{"event":"lap","timestamp":"soon"}') is None
    assert parse_drem_json(b'{"event":"lap","timestamp":true}') is None
    assert parse_drem_json(b'{"event":"lap","timestamp":-5}') is None
    assert parse_drem_json(b'[1,2]') is None


def test_drem_without_a_gpio_is_the_line():
    assert parse_drem_json('{"event":"lap","timestamp":5}') == Signal(LINE_SENSOR, 5000)


def test_bare_lap_line_carries_no_clock():
    assert parse_plain(b"lap\r") == Signal(LINE_SENSOR, None)
    assert parse_plain(b"LAP ") == Signal(LINE_SENSOR, None)
    assert parse_plain(b"lapx") is None


def test_own_format_round_trips_with_and_without_checksum():
    assert parse_own(own_line("17", 123456789)) == Signal("17", 123456789)
    assert parse_own(own_line("gate-2", 5, checksum=False)) == Signal("gate-2", 5)


def test_own_format_refuses_a_wrong_checksum():
    good = own_line("17", 123456789).strip()
    body, check = good.rsplit(b" *", 1)
    wrong = b"%02X" % (int(check, 16) ^ 0xFF)
    assert parse_own(body + b" *" + wrong) is None


def test_own_format_comments_and_banners_are_not_crossings():
    assert parse_own(b"# firmware 1.2 booted") is None
    assert parse_own(b"X 17") is None
    assert parse_own(b"X 17 99999999999999999999") is None  # past 2**63


def test_socketio_timer_passed_is_a_crossing_other_values_are_not():
    assert parse_socketio_timer("passed") == Signal(LINE_SENSOR, None)
    assert parse_socketio_timer({"value": "passed"}) == Signal(LINE_SENSOR, None)
    assert parse_socketio_timer("start") is None
    assert parse_socketio_timer(None) is None


@given(st.binary(max_size=600))
def test_no_parser_raises_on_arbitrary_bytes(data):
    for parse in PARSERS:
        result = parse(data)
        assert result is None or isinstance(result, Signal)


@given(st.text(max_size=600))
def test_no_parser_raises_on_arbitrary_text(data):
    for parse in PARSERS:
        result = parse(data)
        assert result is None or isinstance(result, Signal)


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
                    max_leaves=12))
def test_drem_and_socketio_parsers_accept_any_json_value(value):
    try:
        encoded = json.dumps(value)
    except ValueError:
        return
    assert parse_drem_json(encoded) is None or parse_drem_json(encoded).device_us >= 0
    parse_socketio_timer(value)


@given(st.lists(st.binary(max_size=80), max_size=30))
def test_line_splitter_never_returns_a_line_longer_than_the_limit(chunks):
    splitter = LineSplitter()
    for chunk in chunks:
        for line in splitter.feed(chunk):
            assert len(line) <= 512 and b"\n" not in line


def test_line_splitter_joins_lines_split_across_reads_and_drops_an_overlong_one():
    splitter = LineSplitter()
    assert splitter.feed(b"la") == []
    assert splitter.feed(b"p\r\nX 1") == [b"lap"]
    assert splitter.feed(b" 2\n") == [b"X 1 2"]
    assert splitter.feed(b"z" * 600 + b"\nlap\n") == [b"lap"]
