"""The organizer's Broadcast page in a real browser: the obs_control command (a 1,500 px line)
wraps inside its box instead of widening the page, at a laptop's 1280 px and a phone's 375 px,
with the overlay links; and on a server in embedded mode (the browser tests' daphne has no
REDIS_URL) the page warns that obs_control will not receive the race's events."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PANELS = ("#obs-connection", "#overlay-links", "#scene-settings")


def test_the_command_and_links_fit_the_page_and_embedded_mode_is_warned(new_page, live_race):
    page = new_page("alice")
    page.goto(f"/races/{live_race.pk}/broadcast/")
    command = page.locator("#obs-control-command")
    assert "obs_control --race" in command.inner_text()
    warning = page.locator("#embedded-warning")
    assert warning.is_visible() and "obs_control will not receive them" in warning.inner_text()
    assert "REDIS_URL" in page.locator("#obs-connection .helptext").inner_text()
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        box = command.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, f"the command leaves the page at {width} px"
        # wrapped, not cut: the whole command is visible without scrolling its box
        assert command.evaluate("(el) => el.scrollWidth <= el.clientWidth"), f"the command does not wrap at {width} px"
        for panel in PANELS:
            right = page.locator(panel).evaluate("(el) => el.getBoundingClientRect().right")
            assert right <= width, f"{panel} is wider than the page at {width} px"
            assert page.locator(panel).evaluate("(el) => el.scrollWidth <= el.clientWidth"), f"{panel} overflows at {width} px"
