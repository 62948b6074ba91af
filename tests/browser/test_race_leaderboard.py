"""In a real browser: the Classic race's leaderboard panel opens the race's websocket and redraws
its rows and the "your rank" card from a `leaderboard.changed` event, without a reload."""

from __future__ import annotations

import pytest

from tests.leaderboard.helpers import drive

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def board_rows(page) -> list[list[str]]:
    """The board's rows as the racer sees them, cell by cell, once the first is on screen.

    A row's innerText only has its tabs between cells once the row is laid out; read right after
    the load, on a busy CI machine, it was not yet, and came back as one run-together string."""
    page.locator("#board-rows tr").first.wait_for(state="visible")
    return page.eval_on_selector_all(
        "#board-rows tr", "rows => rows.map(r => Array.from(r.cells, c => c.textContent.trim()))")


def count_socket_messages(page) -> None:
    """Before the page loads: count what its websockets receive (a listener added at construction
    runs before the page's own `onmessage`)."""
    page.add_init_script("""{
        const Native = window.WebSocket;
        window.boardSockets = [];
        window.socketMessages = 0;
        window.WebSocket = function (...args) {
            const s = new Native(...args);
            s.addEventListener("message", () => { window.socketMessages += 1; });
            window.boardSockets.push(s);
            return s;
        };
        Object.assign(window.WebSocket, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
    }""")


def wait_for_race_state(page) -> None:
    """Until the page's one socket has had the `race.state` every connect begins with: it redraws
    the board as the server has it, so an event dispatched earlier would be drawn over."""
    page.wait_for_function("window.boardSockets.length === 1 && window.socketMessages > 0")


def test_the_board_redraws_from_a_leaderboard_event(race, joined, bob, charlie, new_page):
    drive(race, charlie, 10000)
    page = new_page("bob")
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    count_socket_messages(page)
    page.goto(f"/races/{race.pk}/")
    assert board_rows(page)[0][:3] == ["1", "CharlieC", "00:10.000"]
    wait_for_race_state(page)
    # What the server sends when bob's new result puts him first (tests/leaderboard/test_board_socket.py).
    bob_row = {"rank": 1, "racer": "BobTheRacer", "user_id": bob.pk, "time_ms": 9500, "time": "00:09.500",
               "gap_ms": 0, "gap": "--", "off_track_count": 1, "crash_count": 0, "reset_count": 0,
               "submissions": 1, "watch_url": None}
    charlie_row = {"rank": 2, "racer": "CharlieC", "user_id": charlie.pk, "time_ms": 10000, "time": "00:10.000",
                   "gap_ms": 500, "gap": "+00:00.500", "off_track_count": 0, "crash_count": 0,
                   "reset_count": 0, "submissions": 1, "watch_url": None}
    page.evaluate("""(detail) => document.getElementById('leaderboard')
        .dispatchEvent(new CustomEvent('leaderboard:changed', {detail}))""",
                  {"type": "leaderboard.changed", "leaderboard": [bob_row, charlie_row], "total": 2,
                   "changed": bob_row})
    assert [r[:4] for r in board_rows(page)] == [
        ["1", "BobTheRacer", "00:09.500", "--"], ["2", "CharlieC", "00:10.000", "+00:00.500"]]
    assert page.eval_on_selector("#board-rows tr.me", "r => Array.from(r.cells, c => c.textContent).slice(0, 2)") == [
        "1", "BobTheRacer"]
    assert page.locator("#board-me-rank").inner_text() == "1"
    assert page.locator("#board-count").inner_text() == "2 racers ranked"
    assert errors == []


def test_a_searched_board_fetches_its_rows_again_on_an_event(race, joined, bob, charlie, new_page):
    drive(race, charlie, 10000)
    page = new_page("bob")
    page.goto(f"/races/{race.pk}/?q=bob")
    assert page.locator("#board-rows").inner_text().startswith("No racer matches")
    drive(race, bob, 9000)  # committed: the API answers it; the event only says "changed"
    page.evaluate("""() => document.getElementById('leaderboard').dispatchEvent(
        new CustomEvent('leaderboard:changed', {detail: {type: 'leaderboard.changed', leaderboard: [], total: 2}}))""")
    page.locator("#board-rows tr.me").wait_for()
    assert board_rows(page)[0][:3] == ["1", "BobTheRacer", "00:09.000"]
    assert page.locator("#board-me-rank").inner_text() == "1"


@pytest.fixture(scope="module")
def evaluating_server(django_db_setup, django_db_blocker):
    """A server of its own whose embedded job thread evaluates Classic entries at full speed."""
    import os
    import subprocess

    from django.conf import settings

    from tests.browser.conftest import ROOT
    from tests.services import start_daphne

    db = settings.DATABASES["default"]
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db['NAME']}", "DEBUG": "1", "JOBS": "thread",
           "RACESERVER_NO_BOOTSTRAP": "1", "PYTHONUNBUFFERED": "1", "EVALUATION_STEP_DELAY_S": "0"}
    env.pop("REDIS_URL", None)
    log = open(ROOT / "var" / "browser-board-server.log", "w")  # noqa: SIM115 - closed below
    proc, port = start_daphne(env, log)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def test_an_entry_reaches_the_board_without_a_reload(race, joined, bob, charlie, chromium,
                                                     evaluating_server):
    from races.garage import reference_model

    drive(race, charlie, 60000)  # slower than any reference lap of the track
    reference_model(bob, "Steady", temperament="steady")
    context = chromium.new_context(base_url=evaluating_server)
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto("/accounts/login/")
        page.fill("input[name=username]", "bob")
        page.fill("input[name=password]", "pw-bob")
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/accounts/login" not in url)
        page.goto(f"/races/{race.pk}/")
        assert [r[1] for r in board_rows(page)] == ["CharlieC"]
        page.evaluate("window.pageMark = 1")  # gone if the page reloads
        page.select_option("#entry-model", label="Steady")
        page.click("#enter-button")
        page.wait_for_selector("text=Steady is entered in Alice Cup")
        page.evaluate("window.pageMark = 1")  # the entry's own redirect is a load; from here none
        page.locator("#board-rows tr.me").wait_for(timeout=120_000)
        rows = [r[:2] for r in board_rows(page)]
        assert rows == [["1", "BobTheRacer"], ["2", "CharlieC"]]
        assert page.evaluate("window.pageMark") == 1
        assert page.locator("#board-me-rank").inner_text() == "1"
    finally:
        context.close()


def test_an_in_person_board_redraws_without_an_off_track_column(alice, bob, tracks, new_page):
    """A physical track's timers count resets, never off-tracks: the column is not on its board,
    and a row drawn from an event lines up with the header."""
    from races.models import Participant
    from tests.timing.conftest import make_in_person_race

    track_day = make_in_person_race(alice, tracks)
    Participant.objects.create(race=track_day, user=bob)
    page = new_page("bob")
    count_socket_messages(page)
    page.goto(f"/races/{track_day.pk}/")
    wait_for_race_state(page)
    headers = page.eval_on_selector_all("#leaderboard thead th", "ths => ths.map(th => th.textContent.trim())")
    assert "Off-track" not in headers and "Resets" in headers
    row = {"rank": 1, "racer": "BobTheRacer", "user_id": bob.pk, "time_ms": 9500, "time": "00:09.500",
           "gap_ms": 0, "gap": "--", "off_track_count": 0, "crash_count": 0, "reset_count": 2,
           "submissions": 1, "watch_url": "/laps/"}
    page.evaluate("""(detail) => document.getElementById('leaderboard')
        .dispatchEvent(new CustomEvent('leaderboard:changed', {detail}))""",
                  {"type": "leaderboard.changed", "leaderboard": [row], "total": 1, "changed": row})
    cells = board_rows(page)[0]
    assert len(cells) == len(headers)
    assert cells[headers.index("Resets")] == "2" and cells[-1] == "Laps"
