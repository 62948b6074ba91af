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


def test_a_visitor_without_an_account_watches_a_public_in_person_race(chromium, server_url, new_page, alice, bob, tracks):
    """Private: a 404 page. Public: the race page with COMING UP and who is on the track, kept
    current from the race's stream (a timekeeper's start shows without a reload), read-only."""
    from races.models import Participant
    from tests.timing.conftest import make_in_person_race
    race = make_in_person_race(alice, tracks)
    Participant.objects.create(race=race, user=bob)
    context = chromium.new_context(base_url=server_url)
    page = context.new_page()
    assert page.goto(f"/races/{race.pk}/").status == 404
    Race.objects.filter(pk=race.pk).update(broadcast="public")
    assert page.goto(f"/races/{race.pk}/").status == 200
    assert page.locator("#public-viewer").is_visible()
    page.locator("#queue-body", has_text="BobTheRacer").wait_for()
    assert page.locator("#edit-queue").count() == 0 and page.locator("#trackside-links").count() == 0
    page.wait_for_selector("#track-view[data-connected='1']", timeout=10_000)
    timekeeper = new_page("alice")  # the organizer starts Bob's turn on the timekeeper page
    timekeeper.goto(f"/races/{race.pk}/timekeeper/")
    timekeeper.wait_for_selector("#link:has-text('Live')")
    timekeeper.select_option("#racer", str(bob.pk))
    timekeeper.click("button[data-action=start]")
    page.locator("#on-track", has_text="BobTheRacer").wait_for(timeout=10_000)
    context.close()
