"""In a real browser, without an account: a LIVE race broadcast in Public shows its live view,
connected to the race's stream; a private race is a 404 page."""

from __future__ import annotations

import pytest

from races.models import Race

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_visitor_without_an_account_watches_a_public_race(chromium, server_url, live_race):
    context = chromium.new_context(base_url=server_url)
    page = context.new_page()
    assert page.goto(f"/races/{live_race.pk}/").status == 404
    Race.objects.filter(pk=live_race.pk).update(broadcast="public")
    assert page.goto(f"/races/{live_race.pk}/").status == 200
    page.wait_for_function("window.liveView && window.liveView.state.connected", timeout=10_000)
    assert page.locator("#public-viewer").is_visible()
    page.locator("#queue-rows", has_text="BobTheRacer").wait_for()  # COMING UP, from the stream
    context.close()
