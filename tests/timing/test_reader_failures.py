"""How `readtimer` fails: it says what is wrong and exits nonzero when retrying cannot help (no
pyserial, a serial device that does not exist, a token or race the server refuses), keeps
retrying for real outages, warns when a wrong --protocol drops lines, and tells the server when
it stops."""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
import threading
import uuid

import pytest

from timing.reader import IgnoredLines, SerialSource, build

from .conftest import ROOT, wait_for


def reader_args(**overrides) -> argparse.Namespace:
    args = argparse.Namespace(race=str(uuid.uuid4()), serial=None, drem_ws=None, socketio=None, baud=115200,
                              protocol="own", server="http://127.0.0.1:9", token="drt_x", journal="var/j",
                              debounce=1.0, sector=[])
    for key, value in overrides.items():
        setattr(args, key, value)
    return args


# -- start-up -------------------------------------------------------------------------------------

def test_a_serial_device_that_does_not_exist_stops_the_reader_at_start_up(tmp_path):
    missing = tmp_path / "ttyUSB7"
    with pytest.raises(SystemExit) as stopped:
        build(reader_args(serial=str(missing), journal=str(tmp_path / "j")))
    assert f"serial device {missing} does not exist" in str(stopped.value.code)
    assert "cable pulled" not in str(stopped.value.code)


def test_python_m_timing_reader_without_pyserial_exits_nonzero_saying_how_to_install_it(tmp_path):
    port = tmp_path / "ttyS9"
    port.write_text("")  # a device path that exists: only the missing library is wrong
    hide_pyserial = ("import runpy, sys; sys.modules['serial'] = None; "  # `import serial` fails as if absent
                     "sys.argv = ['reader'] + sys.argv[1:]; runpy.run_module('timing.reader', run_name='__main__')")
    done = subprocess.run(
        [sys.executable, "-c", hide_pyserial, "--race", "r1", "--token", "drt_x", "--serial", str(port),
         "--server", "http://127.0.0.1:9", "--journal", str(tmp_path / "j")],
        cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "pip install" in done.stderr and "pyserial" in done.stderr


# -- a wrong --protocol ---------------------------------------------------------------------------

def test_ignored_lines_are_warned_about_once_with_the_protocol_that_would_take_them(caplog):
    caplog.set_level(logging.INFO, logger="timing.reader")
    ignored = IgnoredLines("drem-json")
    for line in (b"lap", b"lap", b"", b"lap"):
        ignored(line)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "drem-json" in warnings[0] and "--protocol plain" in warnings[0]
    assert not [r for r in caplog.records if r.levelno == logging.DEBUG]  # without -v: the one warning


def test_with_v_every_ignored_line_is_logged(caplog):
    caplog.set_level(logging.DEBUG, logger="timing.reader")
    ignored = IgnoredLines("own")
    for line in (b"# firmware 1.0", b"noise", b"X 17 12 *00", b"lap"):
        ignored(line)
    debug = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert len(debug) == 4 and "b'noise'" in debug[1]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    # The first non-comment line is ignored as noise; the `lap` line, which another protocol
    # takes for a crossing, gets its own warning naming that protocol.
    assert len(warnings) == 2 and "--protocol plain" in warnings[1]


def test_a_serial_port_read_with_the_wrong_protocol_warns_naming_the_right_one(serial_device, caplog):
    caplog.set_level(logging.INFO, logger="timing.reader")
    stop, signals = threading.Event(), []
    source = SerialSource(serial_device.path, 115200, "drem-json", lambda s, t: signals.append(s),
                          lambda up, message: None, stop)
    thread = threading.Thread(target=source.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: source.ignored.warned_any or serial_device.write(b"lap\n"), what="the warning")
    finally:
        stop.set()
        thread.join(5)
    assert signals == []
    assert any("--protocol plain" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)


# -- the server refuses, or goes away ---------------------------------------------------------------

def _run_until_it_stops(reader, source, timeout: float = 20.0) -> str | None:
    result: dict = {}
    thread = threading.Thread(target=lambda: result.update(failure=reader.run(source)), daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        reader.stop.set()
        thread.join(10)
        pytest.fail("the reader kept retrying a refusal")
    return result["failure"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
@pytest.mark.parametrize("refusal", ["revoked token", "another race"])
def test_a_refused_token_or_race_stops_the_reader_with_a_clear_message(
        refusal, in_person_race, timer_token, race_server, serial_device, tmp_path, tracks, alice):
    from django.utils import timezone

    from tests.timing.conftest import make_in_person_race
    from timing.models import TimerToken

    race_id = str(in_person_race.pk)
    if refusal == "revoked token":
        TimerToken.objects.update(revoked_at=timezone.now())
    else:
        race_id = str(make_in_person_race(alice, tracks, name="Other Day").pk)
    reader, source = build(reader_args(race=race_id, server=race_server.url, token=timer_token,
                                       serial=serial_device.path, journal=str(tmp_path / "j")))
    failure = _run_until_it_stops(reader, source)
    assert failure is not None
    assert ("refused the timer token" if refusal == "revoked token" else "does not know this race") in failure


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_the_command_exits_nonzero_on_a_refusal(in_person_race, race_server, serial_device, tmp_path):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="refused the timer token"):
        call_command("readtimer", "--race", str(in_person_race.pk), "--server", race_server.url,
                     "--token", "drt_not-a-token", "--serial", serial_device.path,
                     "--journal", str(tmp_path / "j"))


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_a_reader_that_stops_tells_the_server_at_once(in_person_race, timer_token, race_server,
                                                     serial_device, tmp_path):
    from timing import desk

    reader, source = build(reader_args(race=str(in_person_race.pk), server=race_server.url, token=timer_token,
                                       serial=serial_device.path, journal=str(tmp_path / "j")))
    thread = threading.Thread(target=reader.run, args=(source,), daemon=True)
    thread.start()
    timer = lambda: desk.view(in_person_race)["timers"][0]  # noqa: E731
    wait_for(lambda: timer()["connected"] is True, what="the serial port to open")
    reader.stop.set()
    thread.join(10)
    said = timer()
    assert said["connected"] is False and said["message"] == "reader stopped"

