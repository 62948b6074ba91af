"""In a real browser: a racer watching the live view is removed by the organizer; the page says
so and does not try to reconnect."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_removed_racer_is_told_and_not_reconnected(live_race, live_joined, new_page):
    racer = new_page("bob")
    racer.add_init_script("""{  // count the page's websocket connections
        const Native = window.WebSocket;
        window.socketsOpened = 0;
        window.WebSocket = function (...args) { window.socketsOpened++; return new Native(...args); };
        Object.assign(window.WebSocket, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
    }""")
    racer.goto(f"/races/{live_race.pk}/")
    racer.wait_for_function("window.liveView && window.liveView.state.connected")

    organizer = new_page("alice")
    organizer.goto(f"/races/{live_race.pk}/racers/")
    organizer.check(f"input[name=participant][value='{live_joined.pk}']")
    organizer.once("dialog", lambda dialog: dialog.accept())
    organizer.click("#remove-racers")
    organizer.wait_for_selector("text=their access is revoked")

    label = racer.locator("#connection .conn-label")
    label.filter(has_text="You no longer have access to this race").wait_for(timeout=10_000)
    racer.wait_for_timeout(2_500)  # longer than the page's first reconnect delays
    assert label.inner_text() == "You no longer have access to this race"
    assert racer.evaluate("window.socketsOpened") == 1
    assert not racer.evaluate("window.liveView.state.connected")
