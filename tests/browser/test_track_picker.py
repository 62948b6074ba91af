"""In a real browser: the wizard's track picker shows a picture of every catalog track (each
SVG loads and has a size), and a race on a track raced both ways can be run clockwise."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from races.models import Race, Track
from races.tracks import sync_tracks

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_picker_shows_every_track_picture_and_takes_a_direction(alice, new_page, tmp_path):
    sync_tracks()
    page = new_page("alice")
    page.goto("/races/new/")
    pictures = page.locator("#track-list img.track-picture")
    assert pictures.count() == Track.objects.count() == 71
    # Lazy images load as they scroll into view: load them all, then check each one drew.
    page.evaluate("document.querySelectorAll('img.track-picture').forEach(i => { i.loading = 'eager'; })")
    page.wait_for_function(
        "[...document.querySelectorAll('img.track-picture')].every(i => i.complete && i.naturalWidth > 0)")
    sizes = page.evaluate(
        "[...document.querySelectorAll('img.track-picture')].map(i => [i.alt, i.naturalWidth, i.naturalHeight])")
    assert all(w > 50 and h > 20 for _, w, h in sizes), sizes
    assert "re:Invent 2018" in {alt for alt, _, _ in sizes}
    card = page.locator("#track-list label", has_text="RL Speedway")
    assert "Clockwise or counterclockwise" in card.inner_text()
    page.screenshot(path=str(tmp_path / "track-picker.png"))

    page.fill("input[name=name]", "Backwards Cup")
    start = timezone.now() + timedelta(days=2)
    page.fill("input[name=start_at]", start.strftime("%Y-%m-%dT%H:%M"))
    page.fill("input[name=end_at]", (start + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"))
    card.locator("input[type=radio]").check()
    page.select_option("select[name=direction]", "cw")
    page.click("#next")
    page.wait_for_url("**/races/new/*/2/")
    page.click("#next")
    page.wait_for_url("**/races/new/*/3/")
    assert "cm wide, clockwise)" in page.locator("dl.specs").inner_text()
    page.click("#submit")
    page.wait_for_url("**/invitation/?created=1")
    race = Race.objects.get(name="Backwards Cup")
    assert (race.track.slug, race.direction, race.sim_config().direction) == (
        "2022_summit_speedway", "cw", "clockwise")
