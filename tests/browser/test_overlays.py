"""In a real browser against a real daphne: the overlays an OBS browser source shows, opened with
the race's overlay key and no login. Their background is transparent (read from a screenshot's
pixels), or the chroma colour asked for; a real LIVE turn (launched by the organizer, driven by
the server's runner) moves the lower third, the track map and the leaderboard, whose newest
result is highlighted; the declared winner reaches the podium; broadcast mode leaves its
commentator cut-outs transparent; and a reset key darkens the open overlays at once."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from PIL import Image

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
FULL_HD = {"width": 1920, "height": 1080}


def open_overlay(chromium, server_url, race, kind, query=""):
    context = chromium.new_context(base_url=server_url, viewport=FULL_HD)  # no login: only the key
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"/races/{race.pk}/overlays/{kind}/?key={race.overlay_token}{query}")
    page.wait_for_function("window.overlay && window.overlay.state.connected && window.overlay.state.race")
    return page


def picture(page, name):
    """With OVERLAY_SHOTS=dir set: a half-size picture of the overlay on a dark background (the
    README's pictures come from a real turn this way)."""
    folder = os.environ.get("OVERLAY_SHOTS")
    if not folder:
        return
    page.evaluate("document.documentElement.style.background = document.body.style.background = '#26303f'")
    shot = Image.open(io.BytesIO(page.screenshot())).convert("RGB").resize((960, 540), Image.LANCZOS)
    Path(folder).mkdir(parents=True, exist_ok=True)
    shot.save(Path(folder) / f"{name}.png", optimize=True)
    page.evaluate("document.documentElement.style.background = document.body.style.background = ''")


def pixel(page, x, y, transparent=True):
    shot = page.screenshot(omit_background=transparent)
    return Image.open(io.BytesIO(shot)).convert("RGBA").getpixel((x, y))


def test_overlays_are_transparent_or_chroma_keyed(chromium, server_url, live_race):
    for kind in ("leaderboard", "lower-third", "map", "coming-up", "race-info", "podium", "season"):
        page = open_overlay(chromium, server_url, live_race, kind)
        assert page.viewport_size == FULL_HD
        assert pixel(page, 5, 5)[3] == 0, f"{kind}: the corner is not transparent"
        assert pixel(page, 1915, 1075)[3] == 0, f"{kind}: the corner is not transparent"
        page.context.close()
    keyed = open_overlay(chromium, server_url, live_race, "leaderboard", "&chroma=1&color=ff00ff")
    assert pixel(keyed, 5, 5, transparent=False) == (255, 0, 255, 255)
    # the leaderboard's own box is drawn (not a blank page)
    box = keyed.locator("[data-part=leaderboard]").bounding_box()
    assert pixel(keyed, int(box["x"] + 10), int(box["y"] + box["height"] / 2), transparent=False)[:3] != (255, 0, 255)
    keyed.context.close()


def test_broadcast_mode_leaves_the_commentator_cutouts_transparent(chromium, server_url, live_race):
    context = chromium.new_context(base_url=server_url, viewport=FULL_HD)
    page = context.new_page()
    page.goto(f"/races/{live_race.pk}/broadcast-mode/?key={live_race.overlay_token}&layout=2up")
    page.wait_for_function("window.overlay && window.overlay.state.connected")
    for camera in ("#camera-1", "#camera-2"):
        box = page.locator(camera).bounding_box()
        assert pixel(page, int(box["x"] + box["width"] / 2), int(box["y"] + box["height"] / 2))[3] == 0
    context.close()


def test_a_live_turn_moves_the_overlays_and_a_reset_key_darkens_them(chromium, server_url, new_page, live_race_ready, bob):
    race = live_race_ready
    lower = open_overlay(chromium, server_url, race, "lower-third")
    board = open_overlay(chromium, server_url, race, "leaderboard")
    track = open_overlay(chromium, server_url, race, "map")
    podium = open_overlay(chromium, server_url, race, "podium")
    assert "idle" in lower.locator("[data-part=lower-third]").get_attribute("class")

    organizer = new_page("alice")
    organizer.goto(f"/races/{race.pk}/")
    organizer.locator(f"tr[data-user-id='{bob.pk}'] button.launch-racer").click()

    lower.locator(".lt-alias", has_text="BobTheRacer").wait_for(timeout=10_000)
    lower.wait_for_function("window.overlay.state.frame && window.overlay.state.frame.lap_time > 0", timeout=30_000)
    assert "idle" not in lower.locator("[data-part=lower-third]").get_attribute("class")
    assert lower.locator(".lt-speed").inner_text() == "×1.00"  # a virtual race shows the multiplier
    assert lower.locator(".lt-flag").inner_text() == "🇫🇷"
    # the map draws the car where the frames put it: some opaque pixels on a transparent page
    track.wait_for_function("window.overlay.state.frame")
    track.wait_for_timeout(300)
    shot = Image.open(io.BytesIO(track.screenshot(omit_background=True))).convert("RGBA")
    assert shot.getpixel((2, 2))[3] == 0 and shot.getextrema()[3][1] == 255

    commentator = new_page("alice")
    commentator.goto(f"/races/{race.pk}/commentator/")
    board.locator(".lb-row.newest", has_text="BobTheRacer").wait_for(timeout=60_000)
    lower.wait_for_function("document.querySelector('.lt-best').textContent !== '--:--.---'", timeout=10_000)
    lower.locator(".lt-sectors .sector.purple").first.wait_for(timeout=10_000)
    commentator.locator(".cm-bars .bar").first.wait_for(timeout=10_000)  # a bar per lap
    assert commentator.locator(".cm-fastest").inner_text().endswith("(lap 1)")
    for page, name in ((lower, "lower-third"), (board, "leaderboard"), (track, "map")):
        picture(page, name)

    organizer.click("#stop-run")
    organizer.wait_for_selector("text=Run stopped.")
    organizer.click("#declare-winner")
    podium.locator(".pd-winner", has_text="BobTheRacer").wait_for(timeout=10_000)
    podium.locator(".pd-rows li", has_text="BobTheRacer").wait_for()
    picture(podium, "podium")
    for kind in ("coming-up", "race-info"):
        other = open_overlay(chromium, server_url, race, kind)
        other.wait_for_timeout(200)
        picture(other, kind)
        other.context.close()

    organizer.goto(f"/races/{race.pk}/broadcast/")
    organizer.once("dialog", lambda dialog: dialog.accept())
    organizer.click("#reset-overlay-key")
    organizer.wait_for_selector("text=New overlay links")
    for page in (lower, board, track, podium):
        page.wait_for_function("document.body.dataset.closed === 'no-access'", timeout=10_000)
        shot = Image.open(io.BytesIO(page.screenshot(omit_background=True))).convert("RGBA")
        assert shot.getextrema()[3] == (0, 0), page.url  # dark: nothing of the race left on the stream
    reopened = board.context.new_page()
    assert reopened.goto(f"/races/{race.pk}/overlays/leaderboard/?key={race.overlay_token}").status == 404


def test_an_overlay_away_when_its_key_was_reset_goes_dark_when_it_comes_back(chromium, server_url, live_race):
    """Its socket was not open to be closed with 4404 by the reset: its reconnect is refused with
    4404 too (accepted, then closed: a refused handshake would read as 1006, as a server away)."""
    context = chromium.new_context(base_url=server_url, viewport=FULL_HD)
    page = context.new_page()
    page.add_init_script("""{
        const Native = window.WebSocket;
        window.overlaySockets = [];
        window.WebSocket = function (...args) { const s = new Native(...args); window.overlaySockets.push(s); return s; };
        Object.assign(window.WebSocket, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
    }""")
    page.goto(f"/races/{live_race.pk}/overlays/leaderboard/?key={live_race.overlay_token}")
    page.wait_for_function("window.overlay && window.overlay.state.connected")
    live_race.reset_overlay_token()  # from the test process: no event reaches the server's sockets
    page.evaluate("window.overlaySockets[0].close()")  # the network blinks
    page.wait_for_function("document.body.dataset.closed === 'no-access'", timeout=10_000)
    assert page.evaluate("window.overlaySockets.length") == 2  # one refused try, then no more
    page.wait_for_timeout(1500)
    assert page.evaluate("window.overlaySockets.length") == 2
    shot = Image.open(io.BytesIO(page.screenshot(omit_background=True))).convert("RGBA")
    assert shot.getextrema()[3] == (0, 0)
    context.close()


def test_an_overlay_keeps_trying_while_the_server_is_away(chromium, server_url, live_race):
    """A reconnect that fails for another reason than its access (1006: nobody answers) is tried
    again, not given up."""
    context = chromium.new_context(base_url=server_url, viewport=FULL_HD)
    page = context.new_page()
    page.add_init_script("""{
        const Native = window.WebSocket;
        window.overlaySockets = [];
        window.WebSocket = function (url, ...rest) {
            // the second socket goes to a port where nobody listens, as when the server is away
            const s = new Native(window.overlaySockets.length === 1 ? url.replace(/:\\d+\\//, ":9/") : url, ...rest);
            window.overlaySockets.push(s); return s;
        };
        Object.assign(window.WebSocket, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
    }""")
    page.goto(f"/races/{live_race.pk}/overlays/leaderboard/?key={live_race.overlay_token}")
    page.wait_for_function("window.overlay && window.overlay.state.connected")
    page.evaluate("window.overlaySockets[0].close()")
    page.wait_for_function("window.overlaySockets.length >= 3 && window.overlay.state.connected", timeout=10_000)
    assert page.evaluate("document.body.dataset.closed") is None
    context.close()


def test_the_newest_result_outside_the_top_n_is_shown_in_a_window_around_it(chromium, server_url, live_race):
    page = open_overlay(chromium, server_url, live_race, "leaderboard", "&top=3")

    def board(times):
        return [{"rank": i + 1, "racer": f"R{i + 1}", "user_id": 100 + i, "time_ms": t, "time": str(t),
                 "gap_ms": t - times[0], "gap": "--" if i == 0 else f"+{t - times[0]}"} for i, t in enumerate(times)]

    page.evaluate("b => window.overlay.handle({type: 'leaderboard.changed', leaderboard: b})",
                  board([10_000, 10_100, 10_200, 10_300, 10_400, 10_500]))
    page.evaluate("b => window.overlay.handle({type: 'leaderboard.changed', leaderboard: b})",
                  board([10_000, 10_100, 10_200, 10_300, 10_350, 10_500]))  # R5 improves, still 5th
    rows = page.locator(".lb-rows li").all_inner_texts()
    aliases = [text.split()[1] if len(text.split()) > 1 else text for text in rows]
    assert aliases == ["R1", "R2", "R3", "…", "R4", "R5", "R6"]
    assert page.locator(".lb-row.newest").all_inner_texts()[0].split()[1] == "R5"
    assert "+350" in page.locator(".lb-row.newest").inner_text()
    page.context.close()
